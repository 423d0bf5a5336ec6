"""The state database: one SQLAlchemy engine for the ledger, the scheduler and plugins.

SQLite by default, PostgreSQL by URL. Plugins reach it through
`destination.state`: its `engine` for tables of their own (the email plugin's
subscribers, made by its migrations), and a small JSON cache for values worth
keeping between runs (a Mastodon instance's character limit). Every table is
made and changed by migrations (`publisher.migrate`), run on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from publisher import migrate
from publisher.errors import ConfigError
from publisher.migrate import CORE, Change, History, Position
from publisher.secrets import remember

metadata = MetaData()

# Made by the core's migrations (publisher/migrations); here for the queries.
_cache = Table(
    "cache",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def connect(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder, a lock timeout and WAL."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return create_engine(url)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _write_ahead_log(connection: Any, _record: Any) -> None:
        # WAL lets the scheduler and a command-line run share the file.
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


class State:
    """The state database, connected and upgraded on first use; reading a cache never creates it.

    `histories` are the migration histories whose tables this process uses: the
    core's, and those of the plugins loaded (`publisher.migrate.plugin_histories`).
    """

    def __init__(self, url: str, histories: Sequence[History] = (CORE,)) -> None:
        self.url = url
        self.histories = tuple(histories)
        self.upgraded: list[Change] = []  # what making the engine changed, for `db upgrade`
        try:
            password = make_url(url).password
        except ArgumentError:
            password = None  # reported, with its reason, when the engine is made
        if password:
            remember(password)

    @cached_property
    def engine(self) -> Engine:
        """The engine, every history at its head; a database that cannot be used: ConfigError."""
        with self._reported():
            engine = connect(self.url)
            try:
                self.upgraded = migrate.upgrade(engine, self.histories)
            except BaseException:
                engine.dispose()
                raise
        return engine

    def close(self) -> None:
        """Close the engine's pooled connections (a SQLite file stays open until then); a
        later use connects again."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def upgrade(self) -> list[Change]:
        """Bring every history to its head now, as the first use would; what that changed."""
        _ = self.engine  # made, and upgraded, on first use
        return self.upgraded

    def positions(self) -> list[Position]:
        """Where each history stands, without upgrading (nor creating) the database."""
        with self._reported():
            if "engine" in self.__dict__:
                with self.engine.connect() as connection:
                    return migrate.positions(connection, self.histories)
            if not self.exists:
                return migrate.positions(None, self.histories)
            engine = connect(self.url)
            try:
                with engine.connect() as connection:
                    return migrate.positions(connection, self.histories)
            finally:
                engine.dispose()

    @contextmanager
    def _reported(self) -> Iterator[None]:
        """Errors as one line naming the database (its password masked)."""
        try:
            yield
        except ConfigError as error:
            raise ConfigError(f"state database {_shown(self.url)}: {error}") from None
        except (SQLAlchemyError, OSError) as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise ConfigError(f"state database {_shown(self.url)}: {reason}") from None
        except ImportError as error:  # the URL names a database driver that is not installed
            raise ConfigError(f"state database {_shown(self.url)}: {_no_driver(error)}") from None

    @property
    def exists(self) -> bool:
        """False for a SQLite file not yet made (a dry run in a new folder leaves none behind)."""
        if not self.url.startswith("sqlite:///") or self.url.endswith(":memory:"):
            return True
        return "engine" in self.__dict__ or Path(self.url.removeprefix("sqlite:///")).exists()

    def get(self, key: str) -> Any | None:
        """A cached value, or None."""
        if not self.exists:
            return None
        with self.engine.begin() as db:
            row = db.execute(select(_cache.c.value).where(_cache.c.key == key)).first()
        return json.loads(row.value) if row else None

    def put(self, key: str, value: Any) -> None:
        """Cache a JSON-serialisable value under `key`, replacing any older one."""
        with self.engine.begin() as db:
            db.execute(_cache.delete().where(_cache.c.key == key))
            db.execute(
                _cache.insert().values(
                    key=key, value=json.dumps(value), updated_at=datetime.now(UTC)
                )
            )


# Database drivers SQLAlchemy imports, and the package that provides each.
_DRIVER_PACKAGES = {
    "psycopg": "'psycopg[binary]'",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient",
    "mysql": "mysql-connector-python",
    "oracledb": "oracledb",
    "pyodbc": "pyodbc",
}


def _no_driver(error: ImportError) -> str:
    module = (error.name or "").partition(".")[0]
    package = _DRIVER_PACKAGES.get(module, module or "the driver the URL names")
    advice = f"the database driver {module or '?'} is not installed: pip install {package}"
    if module == "psycopg2":  # what postgresql:// means to SQLAlchemy
        advice += (
            ", or write postgresql+psycopg:// to use psycopg "
            "(pip install 'publisher[postgres]' installs it)"
        )
    return advice


def _shown(url: str) -> str:
    """A database URL for messages: its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
