"""The ledger's claim and settle operations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from publisher.channel import Sent
from publisher.errors import InputError
from publisher.ledger import (
    AlreadyDone,
    Busy,
    Changed,
    Ledger,
    Publication,
    deliveries,
    publications,
)
from publisher.state import State
from support.postgres import postgres_url  # noqa: F401  (a fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path) -> Ledger:
    if request.param == "sqlite":
        return Ledger(State(f"sqlite:///{tmp_path / 'state' / 'publisher.db'}").engine)
    url = request.getfixturevalue("postgres_url")
    ledger = Ledger(State(url).engine)
    with ledger.engine.begin() as db:  # each test starts from an empty ledger
        db.execute(deliveries.delete())
        db.execute(publications.delete())
    return ledger


def start(
    ledger: Ledger, edition: str = "story-a", kind: str = "story", stories=("a",), force=False
) -> Publication | AlreadyDone:
    return ledger.begin(
        edition, "fediverse", channel="mastodon", kind=kind, story_ids=stories, parts=3, force=force
    )


def test_parts_are_claimed_settled_and_skipped_once_sent(ledger: Ledger) -> None:
    publication = start(ledger)
    assert publication == Publication("story-a", "fediverse", 1)
    first = ledger.claim(publication, 1, "hash-1")
    assert (first.sent, first.in_flight, first.attempt) == (None, False, 1)
    ledger.settle(publication, 1, Sent("101", "https://m.example/@n/101"))
    again = ledger.claim(publication, 1, "hash-1")
    assert again.sent == Sent("101", "https://m.example/@n/101")


def test_a_failed_run_resumes_its_round_and_knows_what_was_in_flight(ledger: Ledger) -> None:
    publication = start(ledger)
    ledger.claim(publication, 1, "h1")
    ledger.settle(publication, 1, Sent("1"))
    ledger.claim(publication, 2, "h2")
    ledger.fail(publication, 2, "server said no")
    ledger.claim(publication, 3, "h3")  # and the process dies with part 3 in flight...
    ledger.finish(publication, "failed")

    resumed = start(ledger)
    assert resumed == publication
    retry = ledger.claim(resumed, 2, "h2")
    assert (retry.in_flight, retry.attempt) == (True, 2)
    ledger.settle(resumed, 2, Sent("2"))
    assert ledger.claim(resumed, 3, "h3").in_flight is True
    assert [row["status"] for row in ledger.parts(resumed)] == ["sent", "sent", "sending"]


def test_a_finished_publication_is_done_until_forced(ledger: Ledger) -> None:
    publication = start(ledger)
    ledger.finish(publication, "done")
    assert isinstance(start(ledger), AlreadyDone)
    assert start(ledger, force=True) == Publication("story-a", "fediverse", 2)
    assert sorted((row["round"], row["status"]) for row in ledger.recent()) == [
        (1, "done"),
        (2, "running"),
    ]


def test_a_live_run_elsewhere_is_not_disturbed(ledger: Ledger) -> None:
    publication = start(ledger)
    with ledger.engine.begin() as db:  # pid 1 is always alive: another run owns it
        db.execute(update(publications).values(owner=f"{socket.gethostname()}:1:1"))
    with pytest.raises(Busy, match="is being delivered by another run"):
        start(ledger)
    assert publication.round == 1


def _started(pid: int) -> str:
    """When process `pid` started, as the kernel says: boot id, then /proc/PID/stat field 22."""
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    stat = Path(f"/proc/{pid}/stat").read_text()
    return f"{boot}.{stat[stat.rfind(')') + 2 :].split()[19]}"


@pytest.mark.skipif(not Path("/proc/1/stat").exists(), reason="needs Linux's /proc")
def test_a_pid_given_to_another_process_is_not_the_owner(ledger: Ledger) -> None:
    host = socket.gethostname()
    publication = start(ledger)
    with ledger.engine.begin() as db:  # pid 1 itself, alive: another run owns it
        db.execute(update(publications).values(owner=f"{host}:1:1:{_started(1)}"))
    with pytest.raises(Busy, match="is being delivered by another run"):
        start(ledger)
    # The owner was a process that had pid 1 before a reboot: the one now is someone else.
    with ledger.engine.begin() as db:
        db.execute(update(publications).values(owner=f"{host}:1:1:0b0e1d00.{7 + 2**40}"))
    assert [row["status"] for row in ledger.recent()] == ["interrupted"]
    assert start(ledger) == publication


@pytest.mark.skipif(not Path("/proc/1/stat").exists(), reason="needs Linux's /proc")
def test_this_pid_in_an_earlier_process_is_not_this_run(ledger: Ledger) -> None:
    """A run that crashed, on a machine that came back giving its pid to this process."""
    publication = start(ledger)
    done = threading.Event()
    alive = threading.Thread(target=done.wait)  # a thread of this process with that ident
    alive.start()
    try:
        earlier = f"{socket.gethostname()}:{os.getpid()}:{alive.ident}:0b0e1d00.3"
        with ledger.engine.begin() as db:
            db.execute(update(publications).values(owner=earlier))
        assert [row["status"] for row in ledger.recent()] == ["interrupted"]
        assert [u.edition_id for u in ledger.all_unfinished()] == ["story-a"]
        assert start(ledger) == publication
    finally:
        done.set()
        alive.join()


def test_a_resumed_round_must_render_as_it_began_in_the_parts_that_went_out(
    ledger: Ledger,
) -> None:
    first = begin_rendered(ledger, ["h1", "h2", "h3"])
    ledger.finish(first, "stopped")  # nothing claimed yet: a new rendering replaces it
    again = begin_rendered(ledger, ["h1*", "h2", "h3"])
    assert again == first
    ledger.claim(again, 1, "h1*")
    ledger.settle(again, 1, Sent("1"))
    ledger.finish(again, "failed")

    changed = begin_rendered(ledger, ["h1", "h2", "h3"])  # part 1 went out as h1*

    assert isinstance(changed, Changed)
    assert (changed.sent, changed.unsure, changed.parts, changed.differs) == (1, 0, 3, 1)
    [row] = ledger.recent()
    assert (row["status"], row["owner"]) == ("failed", None), "left as it was"
    # What went out reads the same: the parts after it are the new version's.
    assert begin_rendered(ledger, ["h1*", "h2+", "h3+", "h4"]) == first


def test_a_part_refused_for_certain_ties_the_round_to_nothing(ledger: Ledger) -> None:
    first = begin_rendered(ledger, ["h1", "h2"])
    ledger.claim(first, 1, "h1")
    ledger.fail(first, 1, "422 text too long", status="refused")
    ledger.finish(first, "failed")

    corrected = begin_rendered(ledger, ["h1 shorter", "h2"])

    assert corrected == first
    claim = ledger.claim(corrected, 1, "h1 shorter")
    assert (claim.sent, claim.in_flight) == (None, False), "it reached nobody: no need to look"


def test_a_round_recorded_before_renditions_were_kept_resumes_as_before(ledger: Ledger) -> None:
    first = begin_rendered(ledger, None)
    ledger.claim(first, 1, "h1")
    ledger.finish(first, "failed")
    assert begin_rendered(ledger, ["h1", "h2"]) == first


def test_an_abandoned_publication_is_never_resumed_nor_sent_again(ledger: Ledger) -> None:
    digest = start(ledger, "digest-1", kind="digest", stories=["a", "b"])
    ledger.claim(digest, 1, "h1")
    ledger.fail(digest, 1, "account suspended")
    ledger.finish(digest, "failed")
    assert ledger.unfinished("fediverse") is not None

    assert ledger.abandon("digest-1", "fediverse") == "failed"

    assert ledger.unfinished("fediverse") is None
    assert ledger.all_unfinished() == []
    assert ledger.sent_stories("fediverse") == {"a", "b"}, "no later digest repeats them"
    [row] = ledger.recent()
    assert (row["status"], row["error"]) == ("abandoned", "account suspended")
    again = start(ledger, "digest-1", kind="digest", stories=["a", "b"])
    assert isinstance(again, AlreadyDone) and again.abandoned
    assert ledger.abandon("digest-1", "fediverse") == "abandoned"
    assert start(ledger, "digest-1", kind="digest", force=True) == Publication(
        "digest-1", "fediverse", 2
    )


def test_only_an_unfinished_publication_nobody_holds_can_be_abandoned(ledger: Ledger) -> None:
    with pytest.raises(InputError, match="story-a has never been published there"):
        ledger.abandon("story-a", "fediverse")
    held = start(ledger)
    with ledger.engine.begin() as db:  # pid 1 is always alive: another run owns it
        db.execute(update(publications).values(owner=f"{socket.gethostname()}:1:1"))
    with pytest.raises(Busy, match="is being delivered by another run"):
        ledger.abandon("story-a", "fediverse")
    with ledger.engine.begin() as db:
        db.execute(update(publications).values(owner=held.owner))
    ledger.finish(held, "done")
    with pytest.raises(InputError, match="was delivered in full: nothing to abandon"):
        ledger.abandon("story-a", "fediverse")


def begin_rendered(ledger: Ledger, rendition: list[str] | None) -> Publication | Changed:
    begun = ledger.begin(
        "story-a",
        "fediverse",
        channel="mastodon",
        kind="story",
        story_ids=["a"],
        parts=3,
        rendition=rendition,
    )
    assert not isinstance(begun, AlreadyDone)
    return begun


def test_digest_stories_are_remembered_per_destination(ledger: Ledger) -> None:
    digest = start(ledger, "digest-1", kind="digest", stories=["a", "b"])
    ledger.finish(digest, "done")
    unfinished = start(ledger, "digest-2", kind="digest", stories=["c"])
    assert ledger.sent_stories("fediverse") == {"a", "b"}
    assert ledger.sent_stories("newsletter") == frozenset()
    ledger.finish(unfinished, "failed")
    assert ledger.sent_stories("fediverse") == {"a", "b"}


def test_a_run_taken_over_as_stalled_can_no_longer_claim_or_finish(ledger: Ledger) -> None:
    begun = start(ledger)
    elsewhere = "elsewhere:4242:1"  # a run on another machine, silent for an hour
    with ledger.engine.begin() as db:
        db.execute(
            update(publications).values(
                owner=elsewhere, heartbeat=datetime.now(UTC) - timedelta(hours=1)
            )
        )
    stalled = replace(begun, owner=elsewhere)

    taker = start(ledger)

    assert taker == stalled
    assert ledger.heartbeat(stalled) is False  # the stalled run learns it must stop
    with pytest.raises(Busy, match="is being delivered by another run"):
        ledger.claim(stalled, 1, "h1")
    ledger.finish(stalled, "failed")  # and what it says no longer counts
    assert [row["status"] for row in ledger.recent()] == ["running"]
    assert ledger.claim(taker, 1, "h1").attempt == 1


def test_a_part_some_refused_is_never_sent_again_and_says_who_refused(ledger: Ledger) -> None:
    publication = start(ledger)
    ledger.claim(publication, 1, "h1")
    ledger.settle(publication, 1, Sent("d/1"), "1 of 3 recipients refused: a@x: 550 no such user")
    ledger.claim(publication, 2, "h2")
    ledger.fail(publication, 2, "server said no")
    ledger.finish(publication, "failed")

    resumed = start(ledger)
    assert ledger.claim(resumed, 1, "h1").sent == Sent("d/1")
    [row] = ledger.recent()
    assert (row["sent"], row["error"]) == (1, "server said no")
    ledger.claim(resumed, 2, "h2")
    ledger.settle(resumed, 2, Sent("d/2"))
    ledger.finish(resumed, "done")
    [row] = ledger.recent()
    assert (row["status"], row["sent"]) == ("done", 2)
    assert row["error"] == "1 of 3 recipients refused: a@x: 550 no such user"


def test_a_live_thread_of_this_process_that_stopped_renewing_its_hold_is_taken_over(
    ledger: Ledger,
) -> None:
    """A scheduler's worker thread whose delivery ended in an error the ledger never heard of
    (a lost database connection) lives on in the pool; its hold lapses with its heartbeat."""
    done = threading.Event()
    held: list[Publication] = []
    worker = threading.Thread(target=lambda: (held.append(start(ledger)), done.wait()))
    worker.start()
    try:
        while not held:
            time.sleep(0.01)
        with pytest.raises(Busy, match="is being delivered by another run"):
            start(ledger)  # renewed a moment ago: that thread is delivering it
        with ledger.engine.begin() as db:
            db.execute(
                update(publications).values(heartbeat=datetime.now(UTC) - timedelta(hours=1))
            )

        assert start(ledger).round == held[0].round  # taken over, the same round
    finally:
        done.set()
        worker.join()
