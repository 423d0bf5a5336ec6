"""How X counts a post: twitter-text's weighted length, and the links it sees."""

from __future__ import annotations

import functools

from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

# Characters that are never part of an emoji and that NFC leaves as they are, which
# twitter-text weighs 1 (ASCII, Latin-1 but for © and ®, dashes, quotes, primes) or 2 (…).
_HEAVY = "…"
_PLAIN = frozenset(
    [
        *(
            chr(code)
            for code in (
                0x09,
                0x0A,
                *range(0x20, 0x7F),
                *range(0xA0, 0x100),
                *range(0x2010, 0x2020),
                *range(0x2032, 0x2038),
            )
            if code not in (0xA9, 0xAE)
        ),
        _HEAVY,
    ]
)
URL_WEIGHT = 23


def weighted_length(text: str) -> int:
    """X's own count (twitter-text): URLs 23, CJK and emoji 2, most Latin 1.

    Text of plain characters only (most Latin text) is counted as twitter-text would
    without its emoji scan, the slowest part of it: a thread renders several times faster.
    """
    if _PLAIN.issuperset(text):
        urls = urls_in(text)
        heavy = text.count(_HEAVY) - sum(url.count(_HEAVY) for url in urls)
        return len(text) + heavy + sum(URL_WEIGHT - len(url) for url in urls)
    return parse_tweet(text).weightedLength


@functools.lru_cache(maxsize=1024)
def urls_in(text: str) -> tuple[str, ...]:
    """The links X sees in a text (twitter-text's rules: `example.org` is one too); kept for
    the texts counted last, since rendering counts the same post more than once."""
    return tuple(url["url"] for url in extract_urls_with_indices(text))
