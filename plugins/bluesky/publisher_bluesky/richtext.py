"""Post text as Bluesky shows it: links shortened for display, links and hashtags as facets.

Bluesky does not find links in a post's text: a client marks them with
facets, byte ranges of the UTF-8 text with the URL (or tag) they stand for.
So a long URL can be shown short ("host/path…") while its facet keeps the
whole address, and the post is counted as shown. Pure: no network.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from atproto import client_utils, models

from publisher.text import URL_PATTERN, graphemes

LIMIT = 300  # graphemes a post may hold
MAX_BYTES = 3000  # ...and UTF-8 bytes: the lexicon caps both
SHOWN_PATH = 15  # characters of a link's path shown before it is cut, as the Bluesky app does
ELLIPSIS = "…"

Facet = dict[str, Any]


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
    builder = client_utils.TextBuilder()
    end = 0
    for match in URL_PATTERN.finditer(text):
        _plain(builder, text[end : match.start()])
        builder.link(shown(match.group()), match.group())
        end = match.end()
    _plain(builder, text[end:])
    facets = [
        facet.model_dump(by_alias=True, exclude_none=True) for facet in builder.build_facets()
    ]
    return builder.build_text(), facets


def _plain(builder: client_utils.TextBuilder, text: str) -> None:
    """Text between links, its hashtags found by Bluesky's own rules (the SDK's, ported
    from the app's): after a space or at the start, not digits alone, at most 64 long."""
    data, written = text.encode("utf-8"), 0
    for facet in client_utils.detect_facets(text):
        tags = [f for f in facet.features if isinstance(f, models.AppBskyRichtextFacet.Tag)]
        if not tags:
            continue  # a bare domain: only what starts with http(s):// is a link in our posts
        start, end = facet.index.byte_start, facet.index.byte_end
        builder.text(data[written:start].decode("utf-8"))
        builder.tag(data[start:end].decode("utf-8"), tags[0].tag)
        written = end
    builder.text(data[written:].decode("utf-8"))
