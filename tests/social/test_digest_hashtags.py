"""A digest's posts each carry their own story's hashtags: the root its lead story's, each
reply its story's, as `digest --dry-run` shows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from support.project import SITE, Project

DESTINATIONS = """
[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "${MASTODON_ACCESS_TOKEN:-unused}"
thread = "summary"
dry_run = true

[destinations.bluesky]
channel = "bluesky"
handle = "brief.test"
thread = "summary"
dry_run = true
"""

STORIES = {
    "ferry": ("Ferry Fares Fall", 3, ["ferries", "harbour"]),
    "market": ("Night Market Opens", 2, ["food", "markets"]),
    "trams": ("Trams Return", 1, ["transport", "old town"]),
}
TAGS = {
    "ferry": ("#Ferries", "#Harbour"),
    "market": ("#Food", "#Markets"),
    "trams": ("#Transport", "#OldTown"),
}


def story(headline: str, priority: int, tags: list[str], published: datetime) -> str:
    return (
        f"---\nheadline: {headline}\ndek: What changes this week.\n"
        f"published: {published.isoformat()}\npriority: {priority}\ntags: {json.dumps(tags)}\n"
        f"---\n\n## The story so far\n\nA short summary of {headline.lower()}.\n"
    )


@pytest.mark.parametrize("destination", ["fediverse", "bluesky"])
def test_each_post_of_a_digest_carries_its_own_storys_hashtags(
    project: Project, destination: str
) -> None:
    project.write_config(SITE + DESTINATIONS)
    (project.root / "stories" / "night-market.md").unlink()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for name, (headline, priority, tags) in STORIES.items():
        project.add_story(f"{name}.md", story(headline, priority, tags, yesterday))
    result = project.run("digest", "--to", destination, "--dry-run", "--json")
    assert result.code == 0, result.err
    parts = json.loads(result.out)["destinations"][destination]["parts"]
    texts = [part["text"] for part in parts]
    assert len(texts) == 3
    everything = {tag for tags in TAGS.values() for tag in tags}
    for text, name in zip(texts, ["ferry", "market", "trams"], strict=True):
        assert STORIES[name][0] in text
        found = {tag for tag in everything if tag in text}
        assert found == set(TAGS[name]), (name, text)
