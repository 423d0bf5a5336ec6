"""Mastodon counts a content warning together with the text against its limit: so do we."""

from __future__ import annotations

from social.conftest import Social
from social.servers import MastodonServer

STATUSES = "/api/v1/statuses"
WARNING = (
    "Discussion of a workplace accident at the harbour, including serious injuries and a death."
)
SENTENCES = " ".join(
    f"Witness {n} told the inquiry what she saw from the quay that morning, in her own words."
    for n in range(1, 25)
)
STORY = f"""\
---
headline: Harbour Inquiry Hears From the Night Shift
dek: Twenty-four witnesses spoke on the first day.
published: 2026-11-20T18:00:00+01:00
tags: [harbour, safety]
---

## The Hearing

The inquiry opened on Monday.

## The story so far

{SENTENCES}
"""


def configure(social: Social, *more: str) -> str:
    """The Mastodon destination with WARNING as its content warning; the story's id."""
    social.configure(mastodon="\n".join([f'spoiler_text = "{WARNING}"', *more]))
    social.project.add_story("inquiry.md", STORY)
    return "inquiry"


def test_every_status_fits_the_limit_with_its_content_warning(social: Social) -> None:
    assert len(WARNING) == 90
    story = configure(social)
    parts = social.parts(story, "fediverse")
    outcome = social.publish(story, "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    statuses = social.mastodon.statuses
    assert [s["text"] for s in statuses] == [part["text"] for part in parts]
    assert len(social.mastodon.requests("POST", STATUSES)) == len(parts)  # none refused
    assert {s["spoiler_text"] for s in statuses} == {WARNING}
    lengths = [social.mastodon.count(s["text"], s["spoiler_text"]) for s in statuses]
    assert all(length <= 500 for length in lengths)
    assert max(lengths) > 400  # the posts are full, not just short
    # The dry run reports each part's length as Mastodon counts it: warning and text.
    assert [part["length"] for part in parts] == lengths
    assert {part["limit"] for part in parts} == {500}


def test_a_part_split_for_a_lower_limit_fits_it_with_the_content_warning(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.max_characters = 300  # lower than the 500 the parts are rendered for
    story = configure(social)
    outcome = social.publish(story, "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    statuses = mastodon_server.statuses
    assert all(mastodon_server.count(s["text"], s["spoiler_text"]) <= 300 for s in statuses)
    assert {s["spoiler_text"] for s in statuses} == {WARNING}
    assert mastodon_server.is_thread()


def test_a_content_warning_leaving_no_room_under_max_characters_is_refused_on_loading(
    social: Social,
) -> None:
    story = configure(social, "max_characters = 100")
    result = social.project.run("publish", "--story", story, "--dry-run")
    assert result.code == 2
    assert (
        f"error: {social.project.config}: destinations.fediverse.spoiler_text: "
        "the content warning is 90 characters long" in result.err
    )
    assert "leaves 10 for the text" in result.err
    assert "Traceback" not in result.err


def test_a_content_warning_leaving_no_room_under_the_instance_limit_is_refused(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.max_characters = 100
    story = configure(social)
    # Rendered for 500 before the instance's limit is known: it refuses the root, and the
    # root cannot be split into pieces that carry the warning either.
    first = social.publish(story, "fediverse")["fediverse"]
    assert first.status == "failed"
    assert "the content warning is 90 characters long" in first.message
    # The limit is remembered: from now on render refuses, before anything is sent.
    result = social.project.run("publish", "--story", story, "--dry-run")
    assert result.code == 2
    assert "error: destinations.fediverse.spoiler_text: the content warning" in result.err
    assert "limit of 100" in result.err
    assert mastodon_server.statuses == []
