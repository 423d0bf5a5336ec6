"""The ledger remembers what each destination posted, and the warnings a part went out with."""

from __future__ import annotations

import pytest

from publisher.channel import Sent
from publisher.ledger import (
    Ledger,
    Publication,
    deliveries,
    posted_text_hashes,
    publications,
    text_hash,
)
from publisher.state import State
from support.postgres import postgres_url  # noqa: F401  (a fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path) -> Ledger:
    if request.param == "sqlite":
        return Ledger(State(f"sqlite:///{tmp_path / 'state' / 'publisher.db'}").engine)
    ledger = Ledger(State(request.getfixturevalue("postgres_url")).engine)
    with ledger.engine.begin() as db:
        db.execute(deliveries.delete())
        db.execute(publications.delete())
    return ledger


def publish(ledger: Ledger, edition: str, texts: list[str], destination: str = "x") -> Publication:
    publication = ledger.begin(
        edition, destination, channel="x", kind="story", story_ids=["a"], parts=len(texts)
    )
    for number, text in enumerate(texts, start=1):
        ledger.claim(publication, number, f"content-{number}", text_hash(text))
    return publication


def test_text_hash_is_the_text_as_platforms_compare_it() -> None:
    assert text_hash("One  post\n\nhere ") == text_hash("One post here")
    assert text_hash("One post here") != text_hash("One post here.")


def test_every_claimed_part_counts_as_posted_by_its_destination(ledger: Ledger) -> None:
    done = publish(ledger, "story-a", ["Root post", "A reply"])
    ledger.settle(done, 1, Sent("1"))
    ledger.fail(done, 2, "timed out")  # it may have arrived all the same
    ledger.finish(done, "failed")
    publish(ledger, "story-b", ["Elsewhere"], destination="fediverse")
    posted = posted_text_hashes(ledger.engine, "x", "digest-1")
    assert posted == {text_hash("Root post"), text_hash("A reply")}


def test_the_parts_of_the_publication_being_resumed_are_not_repeats(ledger: Ledger) -> None:
    running = publish(ledger, "story-a", ["Root post", "A reply"])
    assert posted_text_hashes(ledger.engine, "x", "story-a") == frozenset()
    ledger.finish(running, "done")
    # Once done, a new round of the same edition (--force) must not repeat them.
    assert posted_text_hashes(ledger.engine, "x", "story-a") == {
        text_hash("Root post"),
        text_hash("A reply"),
    }


def test_a_database_without_a_ledger_has_posted_nothing(tmp_path) -> None:
    engine = State(f"sqlite:///{tmp_path / 'empty.db'}").engine
    assert posted_text_hashes(engine, "x", "story-a") == frozenset()


def test_a_part_sent_with_a_warning_keeps_it_and_a_clean_send_clears_an_old_error(
    ledger: Ledger,
) -> None:
    publication = publish(ledger, "story-a", ["Root post", "A reply"])
    ledger.settle(publication, 1, Sent("1", warning="the image could not be fetched"))
    ledger.fail(publication, 2, "server error 503")
    ledger.claim(publication, 2, "content-2", text_hash("A reply"))
    ledger.settle(publication, 2, Sent("2"))
    ledger.finish(publication, "done")
    parts = ledger.parts(publication)
    assert [part["last_error"] for part in parts] == ["the image could not be fetched", None]
    (row,) = ledger.recent()
    assert row["warning"] == "the image could not be fetched" and row["error"] is None
