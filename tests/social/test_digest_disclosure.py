"""A digest's closing disclosure names the stories an AI model wrote, as `digest --dry-run`
shows it: whole headlines when they fit, else each shortened alike, always within the limit."""

from __future__ import annotations

import json
import re
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

[destinations.x]
channel = "x"
thread = "summary"
dry_run = true

[destinations.bluesky]
channel = "bluesky"
handle = "brief.test"
thread = "summary"
dry_run = true
"""
NUMBER = re.compile(r" \d+/\d+$")
LONG = " and What the Harbour Board Decided About the Quay After a Long Summer Trial"


def story(headline: str, priority: int, generated: bool) -> str:
    published = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return (
        f"---\nheadline: {headline}\ndek: What changes this week.\npublished: {published}\n"
        f"priority: {priority}\ngenerated: {str(generated).lower()}\nsource_count: 9\n---\n\n"
        f"## The story so far\n\nA short summary of the week.\n"
    )


def closing(project: Project, destination: str) -> dict:
    result = project.run("digest", "--to", destination, "--dry-run", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["destinations"][destination]["parts"][-1]


@pytest.fixture
def week(project: Project) -> Project:
    project.write_config(SITE + DESTINATIONS)
    (project.root / "stories" / "night-market.md").unlink()
    return project


@pytest.mark.parametrize("destination", ["fediverse", "x", "bluesky"])
def test_the_one_generated_story_of_a_digest_is_named(week: Project, destination: str) -> None:
    for number, (name, generated) in enumerate(
        [("Ferry Fares Fall", False), ("Bridge Reopens", True), ("Trams Return", False)]
    ):
        week.add_story(f"s{number}.md", story(name, 10 - number, generated))
    text = NUMBER.sub("", closing(week, destination)["text"])
    assert text.endswith(
        "1 of these 3 stories, “Bridge Reopens”, was written by an AI model; no person "
        "reviewed it before publication."
    ), text


@pytest.mark.parametrize(("destination", "limit"), [("x", 280), ("bluesky", 300)])
def test_long_headlines_are_shortened_alike_to_fit_and_each_is_still_named(
    week: Project, destination: str, limit: int
) -> None:
    names = ["Ferry Fares Fall", "Bridge Reopens", "Trams Return", "Night Market Opens"]
    for number, name in enumerate(names):
        week.add_story(f"s{number}.md", story(name + LONG, 10 - number, number != 0))
    part = closing(week, destination)
    assert part["length"] <= part["limit"] == limit
    text = NUMBER.sub("", part["text"])
    named = re.search(r"3 of these 4 stories \((.*)\) were written by an AI model", text)
    assert named is not None, text
    quoted = re.findall(r"“([^”]*)”", named.group(1))
    assert [name.split()[0] for name in quoted] == ["Bridge", "Trams", "Night"]
    assert all(name.endswith("…") for name in quoted)  # shortened: the whole would not fit
    assert "no person reviewed them before publication." in text


@pytest.mark.parametrize("destination", ["fediverse", "x", "bluesky"])
def test_a_digest_of_one_generated_story_says_this_story_in_its_root(
    week: Project, destination: str
) -> None:
    week.add_story("s0.md", story("Bridge Reopens", 10, True))
    result = week.run("digest", "--to", destination, "--dry-run", "--json")
    assert result.code == 0, result.err
    parts = json.loads(result.out)["destinations"][destination]["parts"]
    assert len(parts) == 1  # no thread, so "auto" says it in the root
    assert (
        "This story was written by an AI model; no person reviewed it before publication."
        in parts[0]["text"]
    ), parts[0]["text"]
    assert "These stories" not in parts[0]["text"]


@pytest.mark.parametrize("destination", ["fediverse", "x", "bluesky"])
def test_the_closing_post_of_a_one_story_digest_names_its_story(
    week: Project, destination: str
) -> None:
    week.write_config(
        SITE + DESTINATIONS.replace('thread = "summary"', 'thread = "summary"\ndisclosure = "last"')
    )
    week.add_story("s0.md", story("Bridge Reopens", 10, True))
    text = NUMBER.sub("", closing(week, destination)["text"])
    assert text.endswith(
        "“Bridge Reopens” was written by an AI model; no person reviewed it before publication."
    ), text


@pytest.mark.parametrize("destination", ["fediverse", "x", "bluesky"])
def test_the_closing_post_counts_the_stories_when_all_were_generated(
    week: Project, destination: str
) -> None:
    # Every post of the thread is one of them: a list of shortened headlines would say less.
    names = ["Ferry Fares Fall", "Bridge Reopens", "Trams Return"]
    for number, name in enumerate(names):
        week.add_story(f"s{number}.md", story(name + LONG, 10 - number, True))
    text = NUMBER.sub("", closing(week, destination)["text"])
    assert text.endswith(
        "These 3 stories were written by an AI model; no person reviewed them before publication."
    ), text
    assert not any(name in text for name in names)
