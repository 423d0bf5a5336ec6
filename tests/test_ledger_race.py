"""Exactly one run takes over an unfinished publication: two real processes, one instant.

Each of 100 rounds leaves a publication unfinished (stopped, failed, or
running for a process that is gone), then two processes released by a barrier
both try to take it over. One must get it and the other must hear that it is
being delivered by another run, on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from publisher.ledger import Ledger, publications
from publisher.state import State
from support.databases import fresh_postgres
from support.postgres import postgres_url  # noqa: F401  (a fixture)
from support.race import take_over

ROUNDS = 100
LEFT_AS = ("stopped", "failed", "running")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state database URL with nothing in it, for this test alone."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'publisher.db'}"
    return fresh_postgres(request.getfixturevalue("postgres_url"), f"race_{request.node.name}")


def leave_unfinished(url: str, editions: list[str]) -> None:
    """One unfinished publication per edition, left in each of the ways a run leaves one."""
    ledger = Ledger(State(url).engine)
    dead = subprocess.Popen(["true"])
    dead.wait()
    now = datetime.now(UTC)
    rows = []
    for number, edition in enumerate(editions):
        status = LEFT_AS[number % len(LEFT_AS)]
        owner = f"{socket.gethostname()}:{dead.pid}:1" if status == "running" else None
        rows.append(
            {
                "edition_id": edition,
                "destination": "newsletter",
                "round": 1,
                "channel": "email",
                "kind": "story",
                "story_ids": '["a"]',
                "parts": 1,
                "status": status,
                "owner": owner,
                "heartbeat": now,
                "started_at": now,
            }
        )
    with ledger.engine.begin() as db:
        db.execute(insert(publications), rows)
    ledger.engine.dispose()


@pytest.mark.slow
def test_two_processes_never_both_take_over_a_publication(database: str) -> None:
    editions = [f"story-race-{n:03d}" for n in range(ROUNDS)]
    leave_unfinished(database, editions)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results = spawn.Queue()
    workers = [
        spawn.Process(target=take_over, args=(database, editions, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        got = [results.get(timeout=120) for _ in range(2 * ROUNDS)]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    per_round = {edition: Counter() for edition in editions}
    for edition, outcome in got:
        per_round[edition][outcome] += 1
    doubles = [edition for edition, seen in per_round.items() if seen["took"] > 1]
    assert doubles == [], f"{len(doubles)} of {ROUNDS} rounds were taken over twice"
    odd = {
        edition: dict(seen) for edition, seen in per_round.items() if seen != {"took": 1, "busy": 1}
    }
    assert odd == {}, odd
