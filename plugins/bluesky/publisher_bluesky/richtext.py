"""Post text as Bluesky shows it: links shortened for display, links and hashtags as facets.

Bluesky does not find links in a post's text: a client marks them with
facets, byte ranges of the UTF-8 text with the URL (or tag) they stand for.
So a long URL can be shown short ("host/path…") while its facet keeps the
whole address, and the post is counted as shown. Pure: no network.

Hashtags and cashtags are found by the rules of the atproto SDK's
`detect_facets` (ported from the Bluesky app), ported here so that rendering
a post does not load the SDK (most of a second); a test holds the two equal.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

import regex

from publisher.text import URL_PATTERN, graphemes

LIMIT = 300  # graphemes a post may hold
MAX_BYTES = 3000  # ...and UTF-8 bytes: the lexicon caps both
SHOWN_PATH = 15  # characters of a link's path shown before it is cut, as the Bluesky app does
ELLIPSIS = "…"

Facet = dict[str, Any]

# As the SDK writes them (atproto_client/utils/facet_regexes.py), with Unicode punctuation
# as `\p{P}` rather than a list of code points.
_S = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ZERO_WIDTH = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
TAG = regex.compile(
    rf"(^|[{_S}])[#\uff03]((?!\ufe0f)[^{_S}{_ZERO_WIDTH}]*"
    rf"[^0-9{_S}\p{{P}}{_ZERO_WIDTH}]+[^{_S}{_ZERO_WIDTH}]*)?"
)
TRAILING_PUNCTUATION = regex.compile(r"\p{P}+\Z")
CASHTAG = regex.compile(
    rf"(^|[{_S}]|\()\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_S}]|\Z|[.,;:!?)\"'\u2019])"
)
MAX_TAG = 64  # graphemes, as the SDK counts them


def shown(url: str) -> str:
    """A link as the post shows it: no scheme, and a path longer than 15 characters cut
    to 13 and an ellipsis (`brief.example.org/stories/open…`)."""
    parts = urlsplit(url)
    path = "" if parts.path == "/" else parts.path
    path += f"?{parts.query}" if parts.query else ""
    path += f"#{parts.fragment}" if parts.fragment else ""
    if len(path) > SHOWN_PATH:
        path = path[: SHOWN_PATH - 2] + ELLIPSIS
    return parts.netloc + path


def displayed(text: str) -> str:
    return URL_PATTERN.sub(lambda match: shown(match.group()), text)


def count(text: str) -> int:
    """A post's length as Bluesky counts it: graphemes of the text as shown, links shortened.

    A post is also capped at 3,000 UTF-8 bytes, which 300 graphemes of
    composed emoji can pass; such a text counts a tenth of its bytes instead,
    so that one count keeps a post within both limits.
    """
    text = displayed(text)
    return max(graphemes(text), -(-len(text.encode("utf-8")) * LIMIT // MAX_BYTES))


def rich_text(text: str) -> tuple[str, list[Facet]]:
    """The text as posted (links shortened) and its facets, in the lexicon's JSON shape:
    a link facet for every URL, a tag facet for every hashtag, by UTF-8 byte offsets."""
    written: list[bytes] = []
    facets: list[Facet] = []
    at = 0  # bytes written so far

    def write(piece: str, feature: dict[str, str] | None = None) -> None:
        nonlocal at
        data = piece.encode("utf-8")
        if feature is not None:
            facets.append(_facet(at, at + len(data), feature))
        written.append(data)
        at += len(data)

    end = 0
    for match in URL_PATTERN.finditer(text):
        _plain(write, text[end : match.start()])
        write(shown(match.group()), {"uri": match.group(), "$type": "app.bsky.richtext.facet#link"})
        end = match.end()
    _plain(write, text[end:])
    return b"".join(written).decode("utf-8"), facets


def _facet(start: int, end: int, feature: dict[str, str]) -> Facet:
    return {
        "features": [feature],
        "index": {"byteEnd": end, "byteStart": start, "$type": "app.bsky.richtext.facet#byteSlice"},
        "$type": "app.bsky.richtext.facet",
    }


def _plain(write, text: str) -> None:
    """Text between links, its hashtags and cashtags tagged; a bare domain is left as text
    (only what starts with http(s):// is a link in our posts)."""
    written = 0
    for start, end, tag in sorted(_tags(text)):
        write(text[written:start])
        write(text[start:end], {"tag": tag, "$type": "app.bsky.richtext.facet#tag"})
        written = end
    write(text[written:])


def _tags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of each hashtag and cashtag, by the SDK's rules: after a space or at
    the start, not digits alone, trailing punctuation dropped, at most 64 long."""
    found = []
    for match in TAG.finditer(text):
        tag = TRAILING_PUNCTUATION.sub("", match.group(2) or "")
        if not tag or (len(tag) > MAX_TAG and _sdk_graphemes(tag) > MAX_TAG):
            continue
        start = match.end(1)
        found.append((start, start + 1 + len(tag), tag))
    for match in CASHTAG.finditer(text):
        ticker = match.group(2).upper()
        start = match.end(1)
        found.append((start, start + 1 + len(ticker), "$" + ticker))
    return found


def _sdk_graphemes(text: str) -> int:
    """The SDK's approximate count of graphemes, which decides when a tag is too long."""
    count = 0
    after_joiner = regional = False
    for char in text:
        point = ord(char)
        if after_joiner:
            after_joiner = False
            continue
        if point == 0x200D:
            after_joiner = True
            continue
        if (
            unicodedata.category(char) in ("Mn", "Mc", "Me")
            or 0x1F3FB <= point <= 0x1F3FF
            or 0xE0020 <= point <= 0xE007F
        ):
            continue
        if 0x1F1E6 <= point <= 0x1F1FF:
            regional = not regional
            if not regional:
                continue
        count += 1
    return count
