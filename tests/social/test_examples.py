"""The shared sample story and every example publish as complete threads to both networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from social.conftest import EXAMPLES, Social


def publishes_completely(social: Social, story: Path) -> None:
    mastodon_parts = social.parts(story, "fediverse")
    x_parts = social.parts(story, "x")
    result = social.project.run("publish", "--story", str(story), "--to", "fediverse,x")
    assert result.code == 0, result.out + result.err
    assert f"fediverse: sent {len(mastodon_parts)} parts" in result.out
    assert f"x: sent {len(x_parts)} parts" in result.out

    statuses = social.mastodon.statuses
    assert [s["text"] for s in statuses] == [part["text"] for part in mastodon_parts]
    assert social.mastodon.is_thread()
    assert len({s["idempotency_key"] for s in statuses}) == len(statuses)
    assert [s["language"] for s in statuses] == [part["language"] for part in mastodon_parts]
    assert [s["visibility"] for s in statuses] == ["public"] + ["unlisted"] * (len(statuses) - 1)
    assert all(social.mastodon.count(s["text"]) <= 500 for s in statuses)

    tweets = social.x.tweets
    assert [t["sent"] for t in tweets] == [part["text"] for part in x_parts]
    assert social.x.is_thread()


@pytest.mark.parametrize("name", sorted(path.name for path in EXAMPLES.iterdir()))
def test_example_publishes_as_complete_threads(social: Social, name: str) -> None:
    publishes_completely(social, EXAMPLES / name)


def test_shared_sample_publishes_as_complete_threads(social: Social, sample: Path) -> None:
    publishes_completely(social, sample)
    assert len(social.mastodon.statuses) > 3 and len(social.x.tweets) > 3
