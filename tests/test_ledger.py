"""The ledger's claim and settle operations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from publisher.channel import Sent
from publisher.ledger import AlreadyDone, Busy, Ledger, Publication, deliveries, publications
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
