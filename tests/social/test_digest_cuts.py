"""A digest's post about each story, as the local Mastodon and X servers receive it: a dek or
summary too long for its post is cut at a sentence end or clause boundary whenever one fits,
and at a word, marked "…", only when none does."""

from __future__ import annotations

import shutil
from pathlib import Path

from social.conftest import Social

CLAUSES = (
    "The harbour board cut every fare by a third from Monday, after a summer in which the "
    "boats ran half empty on weekdays and the council asked for a plan that would bring the "
    "commuters back before the bridge closes for repairs in spring; the ferry company, which "
    "had asked for the cut since March, will add a late boat on Fridays and Saturdays for "
    "the night market crowds who now walk home across the bridge, and the board will look "
    "at the numbers again in April before it sets the fares for the summer season ahead"
)
NO_BOUNDARY = " ".join(["the late boat leaves the quay for the island"] * 12)


def story(headline: str, dek: str, published: str) -> str:
    return (
        f"---\nheadline: {headline}\ndek: {dek}\npublished: {published}\n---\n\n"
        f"## What changes\n\n{dek}.\n"
    )


def digest(social: Social) -> tuple[list[str], list[str]]:
    """The texts of the statuses and the posts the digest made, in order."""
    result = social.project.run("digest", "--since", "3650d", "--to", "x,fediverse")
    assert result.code == 0, result.out + result.err
    return [s["text"] for s in social.mastodon.statuses], [t["sent"] for t in social.x.tweets]


def cut_line(posts: list[str], start: str) -> str:
    """The line of `posts` that starts with `start` and was cut (ends "…")."""
    lines = [line for post in posts for line in post.splitlines() if line.startswith(start)]
    assert lines, posts
    assert lines[0].endswith("…"), lines[0]
    return lines[0].removesuffix("…")


def test_each_story_of_a_digest_is_cut_at_a_clause_that_fits(social: Social) -> None:
    stories = social.project.root / "stories"
    (stories / "night-market.md").unlink()
    social.project.add_story(
        "bridge.md", story("Bridge Reopens", "Cars cross again.", "2026-11-21T09:00:00+01:00")
    )
    social.project.add_story(
        "ferry.md", story("Ferry Fares Fall", CLAUSES, "2026-11-20T09:00:00+01:00")
    )
    statuses, tweets = digest(social)
    for posts in (statuses, tweets):
        head = cut_line(posts, "The harbour board")
        assert CLAUSES.startswith(head), head
        assert CLAUSES[len(head)] in ",;", head  # the cut fell where a clause ends
    assert "The harbour board cut every fare by a third from Monday…" in tweets[1]


def test_a_dek_with_no_boundary_that_fits_is_cut_at_a_word(social: Social) -> None:
    (social.project.root / "stories" / "night-market.md").unlink()
    social.project.add_story(
        "bridge.md", story("Bridge Reopens", "Cars cross again.", "2026-11-21T09:00:00+01:00")
    )
    social.project.add_story(
        "ferry.md", story("Ferry Fares Fall", NO_BOUNDARY, "2026-11-20T09:00:00+01:00")
    )
    statuses, tweets = digest(social)
    for posts in (statuses, tweets):
        head = cut_line(posts, "the late boat")
        assert NO_BOUNDARY.startswith(head) and NO_BOUNDARY[len(head)] == " ", head


def test_the_sample_export_is_cut_at_a_clause_in_a_digest(social: Social, sample: Path) -> None:
    stories = social.project.root / "stories"
    (stories / "night-market.md").unlink()
    shutil.copy(sample, stories / sample.name)
    statuses, tweets = digest(social)
    summary = cut_line(statuses, "The open source AI community")
    assert summary.endswith("the same competitive logic it was built to critique"), summary
    dek = cut_line(tweets, "Chinese labs")
    assert dek == "Chinese labs that built their reputations on open weights are closing up", dek
    assert not any(
        post.endswith(("consistently as…", "open weights…")) for post in statuses + tweets
    )
