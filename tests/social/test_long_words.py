"""A word longer than a whole post (a key, a hash) is cut as a last resort, never lost."""

from __future__ import annotations

import re

import pytest
from twitter_text import parse_tweet

from social.conftest import Social

NUMBERING = re.compile(r" \d+/\d+$")
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
STORY = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
faq:
  - q: How do stall holders sign up?
    a: Paste this key into the board's form, {token}. The key expires after a week.
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.
"""


def token(length: int) -> str:
    """A word without spaces or punctuation, such as a key or a hash."""
    return ("0123456789abcdefghijklmnopqrstuvwxyz" * (length // 36 + 1))[:length]


@pytest.mark.parametrize(("destination", "length"), [("x", 336), ("fediverse", 600)])
def test_a_word_longer_than_a_post_is_cut_and_kept_whole_across_posts(
    social: Social, destination: str, length: int
) -> None:
    word = token(length)
    social.project.add_story("sign-up.md", STORY.format(token=word))
    parts = social.parts("sign-up", destination)
    count = social.mastodon.count if destination == "fediverse" else weighted_length
    for part in parts:
        assert part["length"] <= part["limit"], part["text"]
        assert count(part["text"]) <= part["limit"], part["text"]
    # Whatever marks a cut word, the word's characters are all there, in order.
    texts = [NUMBERING.sub("", part["text"]) for part in parts]
    assert word in NOT_ALPHANUMERIC.sub("", "".join(texts))


def weighted_length(text: str) -> int:
    return parse_tweet(text).weightedLength
