"""The state database's schema: every history of Alembic migrations brought to its head.

Each distribution that owns tables keeps its own history: the core's in
`publisher/migrations`, a plugin's wherever its `publisher_migrations` hook
says. Each history records its revision in a version table of its own
(`alembic_version_core`, `alembic_version_email`), so histories never need to
know of each other, and a plugin uninstalled leaves nothing the others trip on.

At start a cheap look decides: the version tables are read, and the revision
files' ids are read without importing Alembic. Alembic runs only when a history
is behind, under a lock (BEGIN IMMEDIATE on SQLite, an advisory lock on
PostgreSQL) so that processes starting at once migrate once; after the lock the
versions are read again. A revision this release does not know (a newer
release made the database) is refused, never used.
"""

from __future__ import annotations

import ast
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, String, column, func, inspect, select, table

from publisher.errors import ConfigError
from publisher.plugins import by_plugin

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

    from publisher.plugins import Plugins

log = logging.getLogger(__name__)

HOOK = "publisher_migrations"
# Version tables are named after histories: keep the names plain and short.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# The key of the PostgreSQL advisory lock taken while migrating (any fixed 64-bit number).
_LOCK_KEY = 0x5055_424C_4953_4852  # "PUBLISHR"
_WAIT = 30  # seconds a process waits for another one's migration, as state.connect's timeout


@dataclass(frozen=True)
class History:
    """One distribution's migrations: an Alembic script folder (`versions/` inside)."""

    name: str
    folder: Path

    @property
    def table(self) -> str:
        return f"alembic_version_{self.name}"


CORE = History("core", Path(__file__).with_name("migrations"))


@dataclass(frozen=True)
class Change:
    """A history moved from one revision to another by this process."""

    history: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class Position:
    """Where a history stands in a database, for `publisher db current`."""

    history: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    known: frozenset[str]  # every revision of the installed history
    installed: bool = True

    def describe(self) -> str:
        here = ", ".join(self.current) or "none"
        if not self.installed:
            return f"{here} (no installed plugin declares this history)"
        if set(self.current) == set(self.heads):
            return f"{here} (head)"
        if any(revision not in self.known for revision in self.current):
            return f"{here} (unknown to this release: a newer Publisher made it)"
        return f"{here} (behind: head is {', '.join(self.heads)}; run publisher db upgrade)"


def plugin_histories(plugins: Plugins) -> tuple[History, ...]:
    """The core's history and each one a plugin declares; a bad declaration is a ConfigError."""
    histories: list[History] = []
    for owner, call in by_plugin(plugins, HOOK):
        try:
            answers = call()
        except Exception as error:  # a plugin's bug, reported as its own
            raise ConfigError(f"plugin {owner} failed in {HOOK}: {error}") from None
        if not answers:  # None: no tables of its own
            continue
        [answer] = answers
        histories.append(_checked(owner, answer, {CORE.name, *(h.name for h in histories)}))
    return (CORE, *sorted(histories, key=lambda history: history.name))


def _checked(owner: str, answer: object, taken: set[str]) -> History:
    def refuse(reason: str) -> ConfigError:
        return ConfigError(f"plugin {owner}: {HOOK}() {reason}")

    if not (isinstance(answer, tuple) and len(answer) == 2):
        raise refuse(f"must return (name, folder), not {answer!r}")
    name, folder = answer
    if not isinstance(folder, str | os.PathLike):
        raise refuse(f"gave {folder!r} as its folder: give a path")
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise refuse(f"gave the name {name!r}: use lower-case letters, digits and _ (max 40)")
    if name in taken:
        raise refuse(f"gave the name '{name}', which another history already has")
    if not (Path(folder) / "versions").is_dir():
        raise refuse(f"gave the folder {folder}, which has no versions/ folder")
    return History(name, Path(folder))


# Start-up: the cheap look, then Alembic only when needed --------------------------------


def upgrade(engine: Engine, histories: Sequence[History]) -> list[Change]:
    """Bring every history to its head; the changes made (none when all were there)."""
    with engine.connect() as connection:
        found = _versions(connection, histories)
    if all(found[h.name] == _heads(h.folder) for h in histories):
        return []
    return _migrate(engine, histories)


def _versions(connection: Connection, histories: Sequence[History]) -> dict[str, frozenset[str]]:
    """Each history's revisions as recorded in the database (empty: never migrated)."""
    present = set(inspect(connection).get_table_names())
    found = {}
    for history in histories:
        revisions: frozenset[str] = frozenset()
        if history.table in present:
            query = select(column("version_num", String)).select_from(table(history.table))
            revisions = frozenset(connection.execute(query).scalars())
        found[history.name] = revisions
    return found


def _heads(folder: Path) -> frozenset[str] | None:
    """The head revisions of a script folder, read from its files without importing them.

    None when a file is not plain enough to read this way: Alembic then decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (folder / "versions").glob("*.py"):
        if path.name.startswith(("__init__", ".#")):
            continue
        try:
            values = _assignments(path)
        except (OSError, SyntaxError, ValueError):
            return None  # Alembic reads it, and says what is wrong
        revision = values.get("revision")
        down = values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(down)
        elif down is not None:
            return None
    return frozenset(revisions - parents)


def _assignments(path: Path) -> dict[str, Any]:
    """The module-level assignments of literal values in a Python file."""
    values: dict[str, Any] = {}
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                values[target.id] = ...  # not a literal: neither a revision id nor None
    return values


def _migrate(engine: Engine, histories: Sequence[History]) -> list[Change]:
    changes = []
    with _locked(engine) as connection:
        found = _versions(connection, histories)  # again: another process may have done it
        for history in histories:
            script = _script(history)
            before = found[history.name]
            _refuse_unknown(script, history, before)
            heads = tuple(sorted(script.get_heads()))
            if before != frozenset(heads):
                _run(connection, script, history)
                changes.append(Change(history.name, tuple(sorted(before)), heads))
    for change in changes:  # committed: every history, or none
        was = ", ".join(change.before) or "none"
        now = ", ".join(change.after)
        log.info("state database: %s tables upgraded from %s to %s", change.history, was, now)
    return changes


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other process migrating can share."""
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            with connection.begin():
                if engine.dialect.name == "postgresql":  # released when the transaction ends
                    # Wait as long as SQLite would (its timeout), then say so: never hang.
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{_WAIT}s'")
                    connection.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
                yield connection
            return
        # pysqlite would begin only at the first write and commit before DDL: we say when.
        driver = connection.connection.driver_connection
        assert driver is not None, "a connection just opened has its driver's"
        level = driver.isolation_level
        driver.isolation_level = None
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits for a writer, up to the timeout
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            driver.isolation_level = level


def _script(history: History) -> ScriptDirectory:
    """The history's scripts, every revision file read; one that cannot be is a ConfigError."""
    from alembic.script import ScriptDirectory  # Alembic only when a history is behind

    try:
        script = ScriptDirectory(str(history.folder))
        script.get_heads()  # reads every file now, not halfway through a migration
    except Exception as error:  # a broken file of a plugin's, a folder removed...
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"the {history.name} migrations in {history.folder}: {reason}") from None
    return script


def _refuse_unknown(script: ScriptDirectory, history: History, current: frozenset[str]) -> None:
    from alembic.util import CommandError

    for revision in sorted(current):
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise ConfigError(
                f"its {history.name} tables are at revision {revision}, which this release "
                "does not know (a newer Publisher made them): upgrade Publisher, or use "
                "another state database"
            )


def _run(connection: Connection, script: ScriptDirectory, history: History) -> None:
    """Alembic's upgrade to head, in the caller's transaction (nothing commits halfway)."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    def steps(revision: Any, _context: Any) -> list:
        return script._upgrade_revs("heads", revision)  # what `alembic upgrade heads` runs

    environment = EnvironmentContext(Config(), script, fn=steps, destination_rev="heads")
    try:
        with environment:
            environment.configure(connection=connection, version_table=history.table)
            with environment.begin_transaction():
                environment.run_migrations()
    except Exception as error:  # a migration that cannot apply here: say which, not how
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ConfigError(f"upgrading the {history.name} tables failed: {reason}") from None


# `publisher db current` ------------------------------------------------------------------


def positions(connection: Connection | None, histories: Sequence[History]) -> list[Position]:
    """Every history's revision and heads; version tables no loaded plugin declares too."""
    found = _versions(connection, histories) if connection is not None else {}
    result = []
    for history in histories:
        script = _script(history)
        known = frozenset(s.revision for s in script.walk_revisions())
        current = tuple(sorted(found.get(history.name, ())))
        result.append(Position(history.name, current, tuple(sorted(script.get_heads())), known))
    if connection is not None:
        names = {h.name for h in histories}
        for name in sorted(t for t in inspect(connection).get_table_names()):
            other = name.removeprefix("alembic_version_")
            if other != name and other not in names:
                revisions = _versions(connection, [History(other, Path())])[other]
                current = tuple(sorted(revisions))
                result.append(Position(other, current, (), frozenset(), installed=False))
    return result
