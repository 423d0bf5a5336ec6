"""The state database's schema moves by migration, on SQLite and on a real PostgreSQL server.

A database made by the release before migrations (commit 39686e7) is upgraded
in place, at start or by `publisher db upgrade`, with every row kept (the Bluesky
record keys it kept in the cache moved to the Bluesky plugin's own table); a new one
is made by the migrations exactly as that release made its tables; a database
from a newer release is refused; processes starting together migrate once.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

from publisher.migrate import plugin_histories
from publisher.plugins import load_plugins
from publisher.state import State
from support.mail import email_config
from support.postgres import postgres_url  # noqa: F401  (a fixture)
from support.project import REPOSITORY, Project, recorder_table

# The previous release's tables, as its code declared them (commit 39686e7), written
# out here: the test must not take the old schema from the code it is testing.
PREVIOUS = MetaData()
Table(
    "cache",
    PREVIOUS,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Table(
    "publications",
    PREVIOUS,
    Column("edition_id", String(200), primary_key=True),
    Column("destination", String(100), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("story_ids", Text, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True)),
    Column("window_end", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("owner", String(200)),
    Column("heartbeat", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)
Table(
    "deliveries",
    PREVIOUS,
    Column("edition_id", String(200), primary_key=True),
    Column("destination", String(100), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("remote_id", String(200)),
    Column("remote_url", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Table(
    "schedule_runs",
    PREVIOUS,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20)),
    Column("message", Text),
)
Table(
    "email_subscribers",
    PREVIOUS,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("address", String(320), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("list", "address", name="email_subscribers_list_address"),
)
Table(
    "email_recipients",
    PREVIOUS,
    Column("delivery_id", String(300), primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

T1 = datetime(2026, 11, 20, 17, 0, 5, 123456, tzinfo=UTC)
T2 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
DIGEST = "digest-2026-11-23-a1b2c3"
RKEY_PART = "0f" * 16  # an idempotency key

# Rows as that release wrote them: ids left to the database, as its code did.
ROWS: dict[str, list[dict]] = {
    "cache": [
        {"key": "mastodon:limit:https://m.example", "value": "500", "updated_at": T1},
        {"key": "x:me", "value": '{"name": "Zoë", "ids": [1, 2]}', "updated_at": T2},
        # A Bluesky part's record key: moved to bluesky_rkeys by the plugin's first migration.
        {"key": f"bluesky:rkey:{RKEY_PART}", "value": '"3lbq2k5xkgs2a"', "updated_at": T1},
    ],
    "publications": [
        {
            **{"edition_id": "story-night-market", "destination": "log", "round": 1},
            **{"channel": "recorder", "kind": "story", "story_ids": '["night-market"]'},
            **{"parts": 3, "window_start": None, "window_end": None, "status": "done"},
            **{"owner": "newsroom:412:1", "heartbeat": T1, "started_at": T1, "finished_at": T1},
        },
        {
            **{"edition_id": DIGEST, "destination": "newsletter", "round": 2},
            **{"channel": "email", "kind": "digest", "story_ids": '["night-market", "ferry"]'},
            **{"parts": 1, "window_start": T1, "window_end": T2, "status": "failed"},
            **{"owner": None, "heartbeat": None, "started_at": T2, "finished_at": None},
        },
    ],
    "deliveries": [
        *(
            {
                **{"edition_id": "story-night-market", "destination": "log", "round": 1},
                **{"part": part, "content_hash": f"{part:064x}", "status": "sent"},
                **{"remote_id": str(part), "remote_url": f"https://recorder.example/{part}"},
                **{"attempts": 1, "last_error": None, "created_at": T1, "updated_at": T1},
            }
            for part in (1, 2, 3)
        ),
        {
            **{"edition_id": DIGEST, "destination": "newsletter", "round": 2, "part": 1},
            **{"content_hash": "e" * 64, "status": "failed", "remote_id": None},
            **{"remote_url": None, "attempts": 4, "last_error": "Zeitüberschreitung — 超时"},
            **{"created_at": T2, "updated_at": T2},
        },
    ],
    "schedule_runs": [
        {
            **{"job": "schedule:weekly", "started_at": T1, "finished_at": T1},
            **{"outcome": "sent", "message": "sent 3 parts"},
        },
        {"job": "once:night-market:20261123T0800", "started_at": T2},
        {
            **{"job": "schedule:weekly", "started_at": T2, "finished_at": T2},
            **{"outcome": "failed", "message": "newsletter: 554 refused\nsecond line"},
        },
    ],
    "email_subscribers": [
        {
            **{"list": "newsletter", "address": "ada@example.org", "name": "Ada"},
            **{"status": "active", "created_at": T1, "updated_at": T1},
        },
        {
            **{"list": "newsletter", "address": "zoe@example.org", "name": "Zoë Ångström"},
            **{"status": "unsubscribed", "created_at": T1, "updated_at": T2},
        },
        {
            **{"list": "other", "address": "ada@example.org", "name": ""},
            **{"status": "bounced", "created_at": T2, "updated_at": T2},
        },
    ],
    "email_recipients": [
        {
            **{"delivery_id": f"{DIGEST}:newsletter:2", "address": "ada@example.org"},
            **{"status": "sent", "attempts": 1, "last_error": None, "updated_at": T2},
        },
        {
            **{"delivery_id": f"{DIGEST}:newsletter:2", "address": "zoe@example.org"},
            **{"status": "deferred", "attempts": 2, "last_error": "451 try later"},
            "updated_at": T2,
        },
    ],
}


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


def build_previous_release(url: str, tables: tuple[str, ...] = tuple(ROWS)) -> None:
    """A state database as the previous release left it: its tables (those named), filled."""
    engine = _engine(url)
    PREVIOUS.create_all(engine, tables=[PREVIOUS.tables[name] for name in tables])
    with engine.begin() as db:
        for name in tables:
            for row in ROWS[name]:  # one by one: rows leave out different columns
                db.execute(PREVIOUS.tables[name].insert().values(row))
    engine.dispose()


def moved(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The previous release's rows as the upgrade leaves them: the Bluesky record keys out of
    the cache (they are in bluesky_rkeys), everything else as it was."""
    cache = [row for row in rows.get("cache", ()) if not row[0].startswith("bluesky:rkey:")]
    return {**rows, "cache": cache} if "cache" in rows else rows


def record_keys(url: str) -> list[tuple]:
    engine = _engine(url)
    with engine.connect() as db:
        query = text("SELECT idempotency_key, rkey, chosen_at FROM bluesky_rkeys")
        rows = [(key, rkey, _utc(chosen)) for key, rkey, chosen in db.execute(query)]
    engine.dispose()
    return rows


def _utc(value: datetime | str) -> datetime:
    """A time as SQLite (text, naive) or PostgreSQL (aware) hands it back, in UTC."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def every_row(url: str, tables: tuple[str, ...] = tuple(ROWS)) -> dict[str, list[tuple]]:
    """Every row of the previous release's tables, read through its table definitions."""
    engine = _engine(url)
    with engine.connect() as db:
        rows = {}
        for name in tables:
            table = PREVIOUS.tables[name]
            query = select(table).order_by(*table.primary_key.columns)
            rows[name] = [tuple(row) for row in db.execute(query)]
    engine.dispose()
    return rows


def _head(folder: Path) -> str:
    """The head revision of a migration history, as Alembic reads its folder."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(folder))
    return ScriptDirectory.from_config(config).get_current_head()


CORE_HEAD = _head(REPOSITORY / "publisher" / "migrations")
EMAIL_HEAD = _head(REPOSITORY / "plugins" / "email" / "publisher_email" / "migrations")
BLUESKY_HEAD = _head(REPOSITORY / "plugins" / "bluesky" / "publisher_bluesky" / "migrations")
AT_HEADS = {
    "alembic_version_core": [CORE_HEAD],
    "alembic_version_bluesky": [BLUESKY_HEAD],
    "alembic_version_email": [EMAIL_HEAD],
}


def versions(url: str) -> dict[str, list[str]]:
    engine = _engine(url)
    with engine.connect() as db:
        names = [n for n in inspect(db).get_table_names() if n.startswith("alembic_version_")]
        found = {
            name: sorted(db.execute(text(f"SELECT version_num FROM {name}")).scalars())
            for name in names
        }
    engine.dispose()
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases: SQLite files, or databases on the test PostgreSQL server."""
    made: list[str] = []
    if request.param == "sqlite":

        def new() -> str:
            made.append(f"sqlite:///{tmp_path / f'state-{len(made)}' / 'publisher.db'}")
            return made[-1]

        yield new
        return
    server = make_url(request.getfixturevalue("postgres_url"))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def new() -> str:
        name = f"state_{uuid.uuid4().hex[:12]}"
        with admin.connect() as db:
            db.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield new
    with admin.connect() as db:
        for name in made:
            db.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def database(new_database: Callable[[], str]) -> str:
    return new_database()


def use(project: Project, url: str) -> Project:
    """The project with a newsletter (outbox), the recorder `log`, and its state at `url`."""
    config = email_config("outbox:outbox", extra=recorder_table("log"))
    project.write_config(config.replace("[site]\n", f'[site]\nstate = "{url}"\n', 1))
    return project


def assert_works_as_before(project: Project) -> None:
    """What a user sees of the old rows after the upgrade, and new rows written beside them."""
    again = project.run("publish", "--story", "night-market", "--to", "log")
    assert again.code == 0, again.err
    assert "already published" in again.out
    assert project.posts() == []
    listed = project.run("subscribers", "list", "--to", "newsletter")
    assert listed.code == 0, listed.err
    assert listed.out.split() == [
        *("ada@example.org", "active", "Ada"),
        *("zoe@example.org", "unsubscribed", "Zoë", "Ångström"),
    ]
    added = project.run("subscribers", "add", "new@example.org")  # ids go on from the old ones
    assert added.code == 0, added.err
    status = project.run("status")
    assert status.code == 0, status.err
    assert "story-night-market" in status.out and DIGEST in status.out


def test_a_previous_release_database_is_upgraded_at_start_with_every_row_kept(
    project: Project, database: str
) -> None:
    build_previous_release(database)
    before = every_row(database)
    use(project, database)

    status = project.run("status")

    assert status.code == 0, status.err
    assert every_row(database) == moved(before)
    assert sum(len(rows) for rows in before.values()) == sum(len(r) for r in ROWS.values())
    assert record_keys(database) == [(RKEY_PART, "3lbq2k5xkgs2a", T1)]
    assert versions(database) == AT_HEADS
    assert_works_as_before(project)


def test_db_upgrade_upgrades_a_previous_release_database_and_then_does_nothing(
    project: Project, database: str
) -> None:
    build_previous_release(database)
    before = every_row(database)
    use(project, database)
    assert project.run("db", "current").out == (
        f"core: none (behind: head is {CORE_HEAD}; run publisher db upgrade)\n"
        f"bluesky: none (behind: head is {BLUESKY_HEAD}; run publisher db upgrade)\n"
        f"email: none (behind: head is {EMAIL_HEAD}; run publisher db upgrade)\n"
    )

    upgraded = project.run("db", "upgrade")

    assert upgraded.code == 0, upgraded.err
    assert upgraded.out == (
        f"core: none → {CORE_HEAD} (upgraded)\nbluesky: none → {BLUESKY_HEAD} (upgraded)\n"
        f"email: none → {EMAIL_HEAD} (upgraded)\n"
    )
    assert every_row(database) == moved(before)
    assert record_keys(database) == [(RKEY_PART, "3lbq2k5xkgs2a", T1)]
    again = project.run("db", "upgrade")
    assert again.code == 0, again.err
    assert again.out == (
        f"core: {CORE_HEAD} (head)\nbluesky: {BLUESKY_HEAD} (head)\nemail: {EMAIL_HEAD} (head)\n"
    )
    assert project.run("db", "current").out == again.out
    assert every_row(database) == moved(before)
    assert_works_as_before(project)


def test_a_previous_release_database_with_only_some_tables_gets_the_others(
    project: Project, database: str
) -> None:
    # That release made each table on first use: this one never ran a schedule or a send.
    tables = ("cache", "publications", "deliveries", "email_subscribers")
    build_previous_release(database, tables)
    before = every_row(database, tables)
    use(project, database)

    assert project.run("status").code == 0

    assert every_row(database, tables) == moved(before)
    assert every_row(database) == {**moved(before), "schedule_runs": [], "email_recipients": []}
    assert_works_as_before(project)


def _schema(url: str) -> dict[str, object]:
    """Every table but the version tables, as the database describes it."""
    engine = _engine(url)
    with engine.connect() as db:
        found = inspect(db)
        schema: dict[str, object] = {
            name: (
                [
                    (c["name"], repr(c["type"]), c["nullable"], c.get("default"))
                    for c in found.get_columns(name)
                ],
                found.get_pk_constraint(name)["constrained_columns"],
                sorted((u["name"], u["column_names"]) for u in found.get_unique_constraints(name)),
                sorted((i["name"], i["column_names"]) for i in found.get_indexes(name)),
            )
            for name in found.get_table_names()
            if not name.startswith("alembic_version_")
        }
        if engine.dialect.name == "sqlite":  # the statements themselves, as SQLite keeps them
            rows = db.execute(text("SELECT name, sql FROM sqlite_master")).all()
            schema["sql"] = sorted(tuple(r) for r in rows if "alembic_version_" not in r.name)
    engine.dispose()
    return schema


def test_a_new_database_is_made_by_the_migrations_as_an_upgraded_one_is(
    new_database: Callable[[], str],
) -> None:
    previous, ours = new_database(), new_database()
    build_previous_release(previous)
    State(previous, plugin_histories(load_plugins())).upgrade()
    state = State(ours, plugin_histories(load_plugins()))

    assert [change.history for change in state.upgrade()] == ["core", "bluesky", "email"]

    assert _schema(ours) == _schema(previous)
    assert versions(ours) == versions(previous) == AT_HEADS
    state.engine.dispose()


def _metadata_of(package: str) -> list[MetaData]:
    """Every MetaData a package's modules declare tables on (each module imported, since a
    table joins its MetaData only when its module is)."""
    root = importlib.import_module(package)
    found: dict[int, MetaData] = {}
    for module in pkgutil.walk_packages(root.__path__, f"{package}."):
        if ".migrations" in module.name:
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, MetaData) and value.tables:
                found[id(value)] = value
    return list(found.values())


def test_the_tables_the_code_uses_are_the_tables_the_migrations_make(
    new_database: Callable[[], str],
) -> None:
    """A table or column added in code without its migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = new_database()
    State(url, plugin_histories(load_plugins())).upgrade()
    engine = _engine(url)
    declared = [
        *_metadata_of("publisher"),
        *_metadata_of("publisher_email"),
        *_metadata_of("publisher_bluesky"),
    ]
    assert {"publications", "email_subscribers", "email_consent", "bluesky_rkeys"} <= {
        name for tables in declared for name in tables.tables
    }
    with engine.connect() as db:
        context = MigrationContext.configure(db, opts={"compare_type": True})
        for tables in declared:
            drift = [
                change
                for change in compare_metadata(context, tables)
                if _table_of(change) in tables.tables
            ]
            assert drift == [], drift
    engine.dispose()


def _table_of(change: object) -> str | None:
    """The table an autogenerate difference is about (differences come as tuples or lists)."""
    item = change[0] if isinstance(change, list) else change
    for part in item[1:]:
        name = getattr(part, "name", None) if hasattr(part, "columns") else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if name:
            return name
        if isinstance(part, str):
            return part
    return None


PROBE = """\
import sys
from publisher.cli import main
code = main(sys.argv[1:])
print("alembic imported" if "alembic" in sys.modules else "alembic not imported")
sys.exit(code)
"""


def _probe(project: Project, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", PROBE, "--config", str(project.config), *args]
    return subprocess.run(command, cwd=project.root, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.slow
def test_alembic_runs_only_when_a_history_is_behind(project: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'publisher.db'}"
    use(project, url)
    assert _probe(project, "story", "stories/night-market.md").stdout.endswith(
        "alembic not imported\n"
    )
    assert not (tmp_path / "state").exists(), "a command that needs no database makes none"

    first = _probe(project, "status")
    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith("alembic imported\n")
    second = _probe(project, "status")
    assert second.returncode == 0, second.stderr
    assert second.stdout.endswith("alembic not imported\n")
    assert versions(url) == AT_HEADS


BARRIER = """\
import sys, time
from pathlib import Path
from publisher.cli import main
Path(sys.argv[1]).touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.002)
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.slow
@pytest.mark.slow
def test_processes_starting_at_once_migrate_once(
    project: Project, new_database: Callable[[], str], tmp_path: Path
) -> None:
    # Three processes at a barrier, on a new database, then on one of the previous release.
    # Without the lock, either round fails: a crash, or the tables made twice.
    for round_, previous in enumerate((False, True)):
        url = new_database()
        if previous:
            build_previous_release(url)
        before = every_row(url) if previous else None
        use(project, url)
        upgrade = ("--config", str(project.config), "db", "upgrade")
        go = tmp_path / f"go-{round_}"
        ready = [tmp_path / f"ready-{round_}-{n}" for n in range(3)]
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", BARRIER, str(mark), str(go), *upgrade],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mark in ready
        ]
        deadline = time.monotonic() + 60
        while not all(mark.exists() for mark in ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        outputs = [run.communicate(timeout=120) for run in runs]

        assert [run.returncode for run in runs] == [0, 0, 0], [err for _, err in outputs]
        said = "".join(out for out, _ in outputs)
        assert said.count(f"core: none → {CORE_HEAD} (upgraded)") == 1, said
        assert said.count(f"email: none → {EMAIL_HEAD} (upgraded)") == 1, said
        assert said.count(f"bluesky: none → {BLUESKY_HEAD} (upgraded)") == 1, said
        assert said.count(f"core: {CORE_HEAD} (head)") == 2, said
        assert versions(url) == AT_HEADS
        if previous:
            assert every_row(url) == moved(before)
            assert record_keys(url) == [(RKEY_PART, "3lbq2k5xkgs2a", T1)]


def _set_core_revision(url: str, revision: str) -> None:
    engine = _engine(url)
    with engine.begin() as db:
        db.execute(text("UPDATE alembic_version_core SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_database_from_a_newer_release_is_refused(project: Project, database: str) -> None:
    use(project, database)
    assert project.run("db", "upgrade").code == 0
    _set_core_revision(database, "f00d0002")  # a migration this release does not have
    shown = make_url(database).render_as_string(hide_password=True)
    refusal = (
        f"error: state database {shown}: its core tables are at revision f00d0002, which this "
        "release does not know (a newer Publisher made them): upgrade Publisher, or use "
        "another state database\n"
    )

    for command in (("status",), ("publish", "--story", "night-market"), ("db", "upgrade")):
        result = project.run(*command)
        assert (result.code, result.err) == (2, refusal), command
    assert project.posts() == []
    current = project.run("db", "current")
    assert current.out == (
        "core: f00d0002 (unknown to this release: a newer Publisher made it)\n"
        f"bluesky: {BLUESKY_HEAD} (head)\nemail: {EMAIL_HEAD} (head)\n"
    )
    assert versions(database)["alembic_version_core"] == ["f00d0002"]


def test_a_table_that_is_not_the_previous_releases_is_refused_and_nothing_is_made(
    project: Project, database: str
) -> None:
    engine = _engine(database)
    with engine.begin() as db:
        db.execute(text("CREATE TABLE publications (id INTEGER PRIMARY KEY, title TEXT)"))
    engine.dispose()
    use(project, database)

    result = project.run("status")

    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.endswith(
        ": upgrading the core tables failed: table publications is not the one Publisher made "
        "(missing columns: channel, destination, edition_id, finished_at, heartbeat, kind, owner, "
        "parts, round, started_at, status, story_ids, window_end, window_start; "
        "unexpected: id, title)\n"
    )
    engine = _engine(database)
    with engine.connect() as db:
        assert inspect(db).get_table_names() == ["publications"], "rolled back: nothing made"
    engine.dispose()


def test_architecture_md_names_every_table_the_migrations_make(
    new_database: Callable[[], str],
) -> None:
    """docs/architecture.md's "Changing the schema" lists each history's tables: a migration
    that adds one without the docs saying so fails here."""
    url = new_database()
    State(url, plugin_histories(load_plugins())).upgrade()
    engine = _engine(url)
    made = {
        name
        for name in inspect(engine).get_table_names()
        if not name.startswith(("alembic_version", "apscheduler"))
    }
    engine.dispose()
    docs = (REPOSITORY / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = " ".join(docs.split("## Changing the schema")[1].split("\n## ")[0].split())

    assert {"publications", "email_bounces"} <= made
    assert sorted(name for name in made if name not in section) == []
