"""The editor's hand-written posts (`posts:` in a story): checked whole before anything is
sent (a channel that exists, no post twice, each fitting every configured destination of its
channel), closed by a generated story's disclosure, and a duplicate X refuses named."""

from __future__ import annotations

import json

import pytest

from publisher.edition import single
from publisher.testing import make_story
from publisher.workspace import Workspace
from social.conftest import Social

HAND = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
@MORE@posts:
  x:
    - "Forty stalls, twelve families, one quay: the night market opened on Friday."
    - "Open Fridays from six until two in the morning."
@POSTS@
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.
"""


def hand(posts: str = "", more: str = "") -> str:
    return HAND.replace("@POSTS@", posts).replace("@MORE@", more)


EDITOR = [
    "Forty stalls, twelve families, one quay: the night market opened on Friday.",
    "Open Fridays from six until two in the morning.",
]


def refused_everywhere(social: Social, line: int, said: str) -> None:
    """`story`, `check` and `publish` (with and without --dry-run) each refuse the story in
    one line, exit 2, and nothing reaches any destination."""
    path = social.project.root / "stories" / "hand.md"
    for args in (
        ("story", str(path)),
        ("publish", "--story", "hand", "--dry-run"),
        ("publish", "--story", "hand"),
    ):
        result = social.project.run(*args)
        assert result.code == 2, (args, result.out, result.err)
        assert said in result.err, (args, result.err)
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert f"error: {path}:{line}: {said}" in social.project.run("story", str(path)).err
    check = social.project.run("check")
    assert check.code == 2, check.out + check.err
    assert f"bad story {path}:{line}: {said}" in check.out
    assert social.x.tweets == [] and social.mastodon.statuses == [] and not social.project.posts()


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("linkedin", "'linkedin' is not a channel; posts are keyed by channel: bluesky, "),
        (
            "fediverse",
            "'fediverse' is a destination (a mastodon one), not a channel; posts are keyed by "
            "channel: bluesky, ",
        ),
        ("email", "the email channel takes no hand-written posts; posts are keyed by channel"),
    ],
)
def test_posts_under_a_name_that_is_no_channel_are_refused(
    social: Social, key: str, reason: str
) -> None:
    social.project.add_story("hand.md", hand(f'  {key}: ["Hello."]'))
    refused_everywhere(social, 9, f"story 'hand': posts.{key}: {reason}")


def test_the_same_post_twice_in_a_channel_is_refused_before_anything_is_sent(
    social: Social,
) -> None:
    again = f'    - "  {EDITOR[0]}  "'  # white space aside, the same text: X would refuse it
    social.project.add_story("hand.md", hand(again))
    refused_everywhere(
        social,
        9,
        "story 'hand': posts.x, post 3 is the same as post 1: X refuses a post "
        "identical to one the account already made",
    )


def test_a_post_too_long_for_a_configured_destination_is_refused_by_story_and_check(
    social: Social,
) -> None:
    social.configure(mastodon="max_characters = 60")
    post = "The night market is open, Fridays from six until two in the morning."
    social.project.add_story("hand.md", hand(f'  mastodon: ["{post}"]'))
    refused_everywhere(
        social,
        5,
        f"story 'hand': posts.mastodon, post 1 is {len(post)} characters long as "
        "mastodon counts, more than the 60 a post to fediverse may have",
    )


def test_a_digest_leaves_a_story_with_unusable_posts_out_and_says_why(social: Social) -> None:
    social.project.add_story("hand.md", hand('  linkedin: ["Hello."]'))
    result = social.project.run("digest", "--since", "3650d", "--to", "x", "--dry-run")
    assert result.code == 0, result.err
    assert "left out of the digest: " in result.err and "posts.linkedin" in result.err
    assert "Harbour Opens a Night Market" in result.out  # night-market.md, on its own


@pytest.mark.parametrize("mode", ["auto", "last", "root"])
def test_hand_written_posts_of_a_generated_story_end_with_a_disclosure(
    social: Social, mode: str
) -> None:
    social.configure(mastodon=f'disclosure = "{mode}"', x=f'disclosure = "{mode}"')
    short = "The night market is open."
    story = hand(f'  mastodon: ["{short}"]', more="generated: true\nsource_count: 12\n")
    social.project.add_story("hand.md", story)
    closing = (
        "“Harbour Opens a Night Market” was written by an AI model from 12 source records; "
        "no person reviewed it before publication."
    )
    x = [part["text"] for part in social.parts("hand", "x")]
    mastodon = [part["text"] for part in social.parts("hand", "fediverse")]
    assert x == [*EDITOR, closing]  # the editor's posts as written, then the disclosure
    assert mastodon == [short, closing]
    result = social.project.run("publish", "--story", "hand", "--to", "x,fediverse")
    assert result.code == 0, result.out + result.err
    assert [tweet["sent"] for tweet in social.x.tweets] == x and social.x.is_thread()
    assert [status["text"] for status in social.mastodon.statuses] == mastodon


def test_a_disclosure_none_leaves_hand_written_posts_alone(social: Social) -> None:
    social.configure(x='disclosure = "none"')
    social.project.add_story("hand.md", hand(more="generated: true\n"))
    assert [part["text"] for part in social.parts("hand", "x")] == EDITOR


def test_the_closing_disclosure_fits_the_limit_however_long_the_headline(
    social: Social,
) -> None:
    headline = "Harbour Opens a Night Market " + "with Forty Stalls and Lanterns " * 9
    story = hand(more="generated: true\nsource_count: 12\n").replace(
        "headline: Harbour Opens a Night Market", f"headline: {headline.strip()}"
    )
    social.project.add_story("hand.md", story)
    parts = social.parts("hand", "x")
    assert [part["text"] for part in parts[:2]] == EDITOR
    assert len(parts) == 3 and parts[2]["length"] <= 280
    assert parts[2]["text"].startswith("“Harbour Opens a Night Market with Forty")
    assert "…” was written by an AI model from 12 source records" in parts[2]["text"]


def test_a_post_x_refuses_as_made_by_this_run_on_another_destination_says_so(
    social: Social,
) -> None:
    second = f'\n[destinations.x2]\nchannel = "x"\napi_url = "{social.x.url}"\n'
    social.configure(x=second)
    social.project.add_story("hand.md", hand())
    result = social.project.run("publish", "--story", "hand", "--to", "x,x2")
    assert result.code == 1, result.out + result.err
    assert "x: sent 2 parts" in result.out
    said = " ".join(result.out.split())
    assert (
        "x2: failed part 1 of 2: X refused the post as a duplicate: 403 Forbidden: You are not "
        "allowed to create a Tweet with duplicate content.; the post "
        f"'{EDITOR[0]}' is identical to part 1 to x, which this run posted on the same X "
        "account" in said
    )
    assert "this run did not make it" not in said
    assert [tweet["sent"] for tweet in social.x.tweets] == EDITOR


def test_a_post_x_refuses_as_a_repeat_of_an_earlier_part_of_its_thread_says_so(
    social: Social,
) -> None:
    # A story file with such posts is refused when it loads; a story given to the core
    # another way (a plugin's, say) still reaches X, and the refusal names the part.
    story = make_story(
        id="hand", faq=[], posts={"x": ["Open tonight.", "Fridays.", "Open tonight."]}
    )
    workspace = Workspace.open(social.project.config)
    [outcome] = workspace.publish([(workspace.destinations(["x"])[0], single(story))])
    assert outcome.status == "failed"
    assert (
        "part 3 has the same text as part 1 of this same thread, and X refuses the second: "
        "change one of them" in outcome.message
    ), outcome.message
    assert [tweet["sent"] for tweet in social.x.tweets] == ["Open tonight.", "Fridays."]


def test_the_story_table_and_json_show_the_hand_written_posts(social: Social) -> None:
    social.project.add_story("hand.md", hand())
    path = str(social.project.root / "stories" / "hand.md")
    shown = json.loads(social.project.run("story", path, "--json").out)
    assert shown["posts"] == {"x": EDITOR}
