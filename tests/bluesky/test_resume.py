"""A run killed while the PDS holds a createRecord resumes the thread with nothing posted twice.

The publishing run is a real process. The local PDS holds one create open
(after making the record, or before), the test kills the process with
SIGKILL while it waits, and a second run finishes the thread.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bluesky.conftest import CREATE, GET, SESSION, Sky

pytestmark = pytest.mark.slow

HELD_PART = 3


def kill_while_held(sky: Sky, story: Path) -> None:
    """Start `publish`, wait until the PDS holds its request, then kill -9 the process."""
    process = sky.project.spawn("publish", "--story", str(story), "--to", "bluesky")
    try:
        held = False
        for _ in range(600):  # up to a minute, in tenths of a second
            held = sky.server.holding.wait(0.1)
            if held or process.poll() is not None:
                break
        assert held, f"the run ended without reaching the server: {process.communicate()}"
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -9
    sky.server.released.set()  # the held request is dropped, unanswered


def as_the_previous_release_left_it(sky: Sky) -> None:
    """The state database as the release before this plugin had tables: each record key in
    the core's cache table (as JSON, under "bluesky:rkey:<idempotency key>"), no table or
    migration history of the plugin's own."""
    engine = create_engine(f"sqlite:///{sky.project.root / 'state' / 'publisher.db'}")
    with engine.begin() as db:
        chosen = db.execute(text("SELECT idempotency_key, rkey, chosen_at FROM bluesky_rkeys"))
        for key, rkey, at in chosen.all():
            db.execute(
                text("INSERT INTO cache (key, value, updated_at) VALUES (:k, :v, :at)"),
                {"k": f"bluesky:rkey:{key}", "v": json.dumps(rkey), "at": at},
            )
        db.execute(text("DROP TABLE bluesky_rkeys"))
        db.execute(text("DROP TABLE alembic_version_bluesky"))
    engine.dispose()


@pytest.mark.parametrize(
    ("made", "key_in_cache"),
    [(True, False), (False, False), (True, True)],
    # The last: the run killed was of the release that kept record keys in the cache.
    ids=["post-made", "post-not-made", "post-made-key-in-the-cache"],
)
def test_a_thread_killed_mid_create_resumes_without_a_duplicate(
    sky: Sky, sample: Path, made: bool, key_in_cache: bool
) -> None:
    planned = sky.parts(sample)
    held = planned[HELD_PART - 1]["text"]
    server = sky.server
    server.fail("POST", "/xrpc/" + CREATE, hold=True, after=made, skip=HELD_PART - 1)
    kill_while_held(sky, sample)
    assert len(server.records) == HELD_PART - (not made)
    if key_in_cache:
        as_the_previous_release_left_it(sky)

    result = sky.project.run("publish", "--story", str(sample), "--to", "bluesky")
    assert result.code == 0, result.out + result.err
    assert f"bluesky: sent {len(planned)} parts" in result.out

    assert server.texts() == [part["text"] for part in planned]
    assert server.is_thread()
    creates = [r for r in server.calls(CREATE) if r.body["record"]["text"] == held]
    assert len(creates) == 1 + (not made)
    assert len({create.body["rkey"] for create in creates}) == 1  # the key chosen before the kill
    # One look for the part in flight under that key; without it, one more for its parent.
    looks = server.calls(GET)
    assert looks[0].query["rkey"] == creates[0].body["rkey"]
    assert len(looks) == 1 + (not made)
    assert len(server.calls(SESSION)) == 1  # the killed run's session was kept and reused
    engine = create_engine(f"sqlite:///{sky.project.root / 'state' / 'publisher.db'}")
    with engine.connect() as db:  # every key in the plugin's table, none left in the cache
        cached = db.execute(text("SELECT key FROM cache WHERE key LIKE 'bluesky:rkey:%'")).all()
        kept = db.execute(text("SELECT count(*) FROM bluesky_rkeys")).scalar()
    engine.dispose()
    assert (cached, kept) == ([], len(planned))
