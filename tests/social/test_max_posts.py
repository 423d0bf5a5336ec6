"""`max_posts` (default 25): a thread longer than that is bad input, refused before anything
is sent, naming the story, the destination and the count; a story far too long is refused
before its thread is composed."""

from __future__ import annotations

import json

import pytest

from social.conftest import Social

SUMMARY = "The ferry adds crossing number {n} after midnight, says the harbour board. "


def huge_story(size: int = 990_000) -> str:
    """A story whose summary fills a story file up to the 1 MB cap."""
    sentences = "".join(SUMMARY.format(n=n) for n in range(size // len(SUMMARY)))
    return (
        "---\nheadline: Ferries All Night\npublished: 2026-11-20T18:00:00+01:00\n---\n\n"
        f"## The story so far\n\n{sentences[:size].rsplit('. ', 1)[0]}.\n"
    )


@pytest.mark.parametrize("destination", ["x", "fediverse"])
def test_a_story_of_thousands_of_posts_is_refused_before_anything_is_sent(
    social: Social, destination: str
) -> None:
    social.project.add_story("ferries.md", huge_story())
    for args in (("--dry-run",), ("--dry-run", "--json"), ()):
        result = social.project.run("publish", "--story", "ferries", "--to", destination, *args)
        assert result.code == 2, (args, result.out[-300:], result.err)
        said = result.err.strip()
        assert said.startswith(
            f"error: story 'ferries' to {destination}: the thread needs at least "
        ), said
        assert "posts, more than the 25 that max_posts allows" in said
        assert len(said.splitlines()) == 1
    count = int(said.split("needs at least ")[1].split(" posts")[0].replace(",", ""))
    assert count > 1000  # a megabyte of summary: thousands of posts
    assert social.x.tweets == [] and social.mastodon.statuses == []


def test_a_thread_just_over_max_posts_is_counted_and_refused(social: Social) -> None:
    social.configure(x="max_posts = 3")
    social.project.add_story("ferries.md", huge_story(700))  # 3 replies, and the root
    result = social.project.run("publish", "--story", "ferries", "--to", "x,log")
    assert result.code == 2, result.out + result.err
    assert "error: story 'ferries' to x: the thread has " in result.err
    assert "posts, more than the 3 that max_posts allows" in result.err
    assert social.x.tweets == [] and social.project.posts() == []  # log got nothing either
    social.configure(x="max_posts = 40")
    allowed = social.project.run(
        "publish", "--story", "ferries", "--to", "x", "--dry-run", "--json"
    )
    assert allowed.code == 0, allowed.err
    parts = json.loads(allowed.out)["destinations"]["x"]["parts"]
    assert len(parts) == 4


def test_hand_written_posts_and_their_disclosure_count_too(social: Social) -> None:
    social.configure(x="max_posts = 2")
    social.project.add_story(
        "hand.md",
        "---\nheadline: Night Market\npublished: 2026-11-20\ngenerated: true\nposts:\n"
        '  x: ["Open tonight.", "Fridays from six."]\n---\n\nBody.\n',
    )
    result = social.project.run("publish", "--story", "hand", "--to", "x", "--dry-run")
    assert result.code == 2, result.out + result.err
    assert "error: story 'hand' to x: the thread has 3 posts, more than the 2" in result.err
    shown = social.project.run("story", str(social.project.root / "stories" / "hand.md"))
    assert shown.code == 2 and "the thread has 3 posts" in shown.err


def test_a_digest_longer_than_max_posts_is_refused(social: Social) -> None:
    social.configure(x="max_posts = 2")
    for name in ("one", "two"):
        social.project.add_story(f"{name}.md", f"---\nheadline: Story {name}\n---\n\nText.\n")
    result = social.project.run("digest", "--since", "3650d", "--to", "x", "--dry-run")
    assert result.code == 2, result.out + result.err
    assert "error: digest 'digest-" in result.err
    assert "to x: the thread has 3 posts, more than the 2 that max_posts allows" in result.err
