"""A destination another live run is delivering is that destination's outcome (`busy`): the
other destinations of the run go out, and every channel the run opened is closed."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import create_engine, update

from publisher.jobs import run_publish
from publisher.ledger import publications
from publisher.run_history import History
from support.project import SITE, Project, recorder_table

CONFIG = SITE + recorder_table("log") + recorder_table("other")


def held_by_a_live_run(project: Project, destination: str) -> None:
    """Leave `destination`'s publication of the story running, held by pid 1 (always alive)."""
    project.write_config(SITE + recorder_table(destination, fail_at=1))
    assert project.run("publish", "--story", "night-market").code == 1
    engine = create_engine(f"sqlite:///{project.root / 'state' / 'publisher.db'}")
    with engine.begin() as db:
        db.execute(
            update(publications).values(status="running", owner=f"{socket.gethostname()}:1:1")
        )
    engine.dispose()
    remote = project.root / "remote"
    remote.mkdir(exist_ok=True)  # where the recorder says which channels were closed
    for closed in remote.glob("*.closed"):
        closed.unlink()  # this run's, not the next one's


@pytest.mark.parametrize("busy", ["log", "other"])
def test_a_busy_destination_leaves_the_others_to_go_out(project: Project, busy: str) -> None:
    held_by_a_live_run(project, busy)
    project.write_config(CONFIG)

    result = project.run("publish", "--story", "night-market")

    assert result.code == 1, result.err
    free = "other" if busy == "log" else "log"
    lines = result.out.splitlines()
    assert f"{free}: sent 3 parts" in result.out
    assert [line for line in lines if line.startswith(f"{busy}:")] == [
        f"{busy}: busy story-night-market is being delivered by another run "
        f"({socket.gethostname()}:1:1); try again when it has finished"
    ]
    assert f"warning: {busy}: another run is delivering it" in result.err
    assert f"error: 1 destination left to another run: {busy}" in result.err
    remote = project.root / "remote"
    assert len((remote / f"{free}.jsonl").read_text().splitlines()) == 3
    assert not (remote / f"{busy}.jsonl").exists(), "nothing sent where another run delivers"
    closed = sorted(path.name for path in remote.glob("*.closed"))
    assert closed == ["log.closed", "other.closed"], "every channel the run opened is closed"


def test_a_scheduled_run_records_the_busy_destination_and_sends_the_others(
    project: Project,
) -> None:
    held_by_a_live_run(project, "log")
    project.write_config(CONFIG)

    run_publish(str(project.config), str(project.root), "once-1", "night-market", None, False)

    engine = create_engine(f"sqlite:///{project.root / 'state' / 'publisher.db'}")
    last = History(engine).last()["once-1"]
    engine.dispose()
    assert last["outcome"] == "busy"
    assert "log: busy story-night-market is being delivered by another run" in last["message"]
    assert "other: sent 3 parts" in last["message"]
    assert len((project.root / "remote" / "other.jsonl").read_text().splitlines()) == 3
