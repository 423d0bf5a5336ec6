"""No post twice: against servers that refuse the same text anywhere on the account, as X does.

A story published alone and then in the weekly digest, FAQ answers whose continuations
are the same, and a story published again with --force all go out without a refusal;
a duplicate of a post Publisher did not make is reported with the post and what to do.
"""

from __future__ import annotations

import json

import pytest

from social.conftest import Social

FERRY = """\
---
headline: Ferries Run All Night From December
dek: The harbour board adds four crossings after midnight.
published: 2026-11-22T09:00:00+01:00
---

## Later Boats

The last boat now leaves at three.
"""

COMMON = (
    "The board will publish its accounts every quarter, on its website and at the harbour "
    "office. Residents can ask questions at the monthly open meeting, which is held on the "
    "first Tuesday. Stall holders have their own meeting, on the first Monday, and a seat on "
    "the board's committee for the market. Every decision the committee makes is published "
    "within a week, with the votes of each member."
)

TWINS = f"""\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
faq:
  - q: Who pays for the night market now?
    a: The board pays for it. {COMMON}
  - q: Who runs the night market now?
    a: The board runs it all. {COMMON}
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.
"""


def refusing(social: Social, numbering: str, mastodon: str = "") -> None:
    social.mastodon.refuse_duplicates = True  # X's server always refuses them
    line = f'numbering = "{numbering}"'
    social.configure(mastodon=f"{line}\n{mastodon}", x=line)


def digest(social: Social, *args: str) -> tuple[int, str]:
    result = social.project.run("digest", "--since", "3650d", "--to", "x,fediverse", *args)
    return result.code, result.out + result.err


@pytest.mark.parametrize("numbering", ["thread", "none"])
def test_a_story_published_alone_then_in_the_digest_goes_out_without_a_refusal(
    social: Social, numbering: str
) -> None:
    refusing(social, numbering)
    social.project.add_story("ferry.md", FERRY)  # newer: it leads the digest
    alone = social.project.run("publish", "--story", "night-market", "--to", "x,fediverse")
    assert alone.code == 0, alone.out + alone.err
    root = social.x.tweets[0]["sent"]

    code, said = digest(social)
    assert code == 0, said
    assert "x: sent" in said and "fediverse: sent" in said
    assert "duplicate" not in said
    sent = [tweet["sent"] for tweet in social.x.tweets]
    assert len(set(sent)) == len(sent)
    digest_posts = sent[-2:]
    assert digest_posts[0].startswith("Test News: the week to")
    # The digest's post for the story says it again, told apart by its place in the digest.
    assert digest_posts[1].startswith("Harbour Opens a Night Market\n\n")
    assert digest_posts[1] != root
    assert digest_posts[1].endswith(" 2/2")
    texts = [status["text"] for status in social.mastodon.statuses]
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize("numbering", ["thread", "none"])
def test_faq_answers_with_the_same_continuation_go_out_without_a_refusal(
    social: Social, numbering: str
) -> None:
    refusing(social, numbering, mastodon="max_characters = 300")  # answers split there too
    social.project.add_story("twins.md", TWINS)
    for destination in ("x", "fediverse"):
        parts = [part["text"] for part in social.parts("twins", destination)]
        assert len(parts) == 5, parts  # the root, and each answer in two
        assert len(set(parts)) == len(parts), parts
    result = social.project.run("publish", "--story", "twins", "--to", "x,fediverse")
    assert result.code == 0, result.out + result.err
    assert "x: sent" in result.out and "fediverse: sent" in result.out
    sent = [tweet["sent"] for tweet in social.x.tweets]
    assert len(set(sent)) == len(sent) == len(social.parts("twins", "x"))
    assert social.x.is_thread() and social.mastodon.is_thread()


def test_the_same_continuation_is_told_apart_by_its_place_when_posts_are_not_numbered(
    social: Social,
) -> None:
    refusing(social, "none")
    social.project.add_story("twins.md", TWINS)
    parts = [part["text"] for part in social.parts("twins", "x")]
    tails = [text for text in parts if text.startswith("Stall holders have")]
    assert len(tails) == 2
    assert tails[0].endswith("each member.")
    assert tails[1].endswith(f"each member. {parts.index(tails[1]) + 1}/{len(parts)}")


def test_a_story_published_again_with_force_goes_out_without_a_refusal(social: Social) -> None:
    refusing(social, "thread")
    first = social.project.run("publish", "--story", "night-market", "--to", "x,fediverse")
    assert first.code == 0, first.out + first.err
    again = social.project.run(
        "publish", "--story", "night-market", "--to", "x,fediverse", "--force"
    )
    assert again.code == 0, again.out + again.err
    sent = [tweet["sent"] for tweet in social.x.tweets]
    assert len(sent) == 6 and len(set(sent)) == 6
    assert sent[3].endswith("night-market (2) 1/3")


def test_a_duplicate_of_a_post_publisher_did_not_make_stops_the_digest_loudly(
    social: Social,
) -> None:
    social.project.add_story("ferry.md", FERRY)
    planned = social.project.run("digest", "--since", "3650d", "--to", "x", "--dry-run", "--json")
    second = json.loads(planned.out)["destinations"]["x"]["parts"][1]["text"]
    # Someone posted that very text by hand, outside Publisher.
    social.x.tweets.append({"id": "7", "sent": second, "text": second, "reply_to": None})

    result = social.project.run("digest", "--since", "3650d", "--to", "x")
    assert result.code == 1
    assert "x: failed part 2 of 2: X refused the post as a duplicate" in result.out
    assert "Harbour Opens a Night Market" in result.out  # the post, named
    assert "delete that post on X, or change this text" in result.out
    status = social.project.run("status")
    assert "failed x: digest-" in status.out and "identical to one already on the account" in (
        status.out
    )
    # Put right by hand, the next run finishes the digest.
    social.x.tweets[:] = [tweet for tweet in social.x.tweets if tweet["id"] != "7"]
    assert social.project.run("digest", "--since", "3650d", "--to", "x").code == 0
    assert [tweet["sent"] for tweet in social.x.tweets][-1] == second
