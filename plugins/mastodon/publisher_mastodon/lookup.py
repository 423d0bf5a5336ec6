"""Finding a part that went out unrecorded among the account's recent statuses.

Mastodon keeps an Idempotency-Key for about an hour, so a run resumed later
than that cannot rely on the key: only the account's own statuses tell
whether the part in flight at the crash reached the instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from mastodon import Mastodon

from publisher import Sent
from publisher_mastodon.api import translated_errors
from publisher_mastodon.limits import REMOTE_MENTION

RECENT = 40  # Mastodon's largest page; a thread being resumed is among the latest statuses

# Elements that separate words without a space in the markup (Mastodon writes <p> and <br>).
_BREAKS = frozenset({"p", "br", "li", "ul", "ol", "blockquote", "pre"})


@dataclass(frozen=True)
class Posted:
    """A status as far as recognising a part goes: where it is, what it answers, its text."""

    id: str
    url: str | None
    reply_to: str | None
    text: str  # comparable(): whitespace folded


@dataclass(frozen=True)
class Found:
    """A part already on the instance. `missing` is the end of a part posted in pieces
    that never arrived: the run that posted the pieces stopped between two of them."""

    sent: Sent
    missing: str = ""


def recent_statuses(api: Mastodon, account_id: str) -> list[Posted]:
    """The account's latest statuses, newest first; reblogs are never ours."""
    with translated_errors(api):
        statuses = api.account_statuses(account_id, exclude_reblogs=True, limit=RECENT)
    return [_posted(status) for status in statuses]


def find_part(
    statuses: list[Posted], text: str, reply_to: str | None, in_pieces: bool
) -> Found | None:
    """The status with this text that answers `reply_to` (None: a root).

    With `in_pieces` (the part is longer than the instance allows, so it can
    only have gone out split), the chain of statuses that spell the text in
    order; the first piece alone is enough to know the part went out.
    """
    wanted = comparable(text)
    for status in statuses:
        if status.reply_to == reply_to and status.text == wanted:
            return Found(Sent(status.id, status.url))
    return _find_pieces(statuses, wanted, reply_to) if in_pieces else None


def _find_pieces(statuses: list[Posted], wanted: str, reply_to: str | None) -> Found | None:
    first = _next_piece(statuses, wanted, reply_to)
    if first is None:
        return None
    last, rest = first, _after(wanted, first)
    while rest and (piece := _next_piece(statuses, rest, last.id)) is not None:
        last, rest = piece, _after(rest, piece)
    return Found(Sent(last.id, first.url), missing=rest)


def _next_piece(statuses: Iterable[Posted], rest: str, reply_to: str | None) -> Posted | None:
    for status in statuses:
        if status.reply_to == reply_to and status.text and rest.startswith(status.text):
            return status
    return None


def _after(text: str, piece: Posted) -> str:
    return text[len(piece.text) :].lstrip()


def _posted(status: Mapping[str, Any]) -> Posted:
    reply_to = status.get("in_reply_to_id")
    return Posted(
        id=str(status["id"]),
        url=status.get("url"),
        reply_to=None if reply_to is None else str(reply_to),
        text=comparable(plain_text(status.get("content") or "")),
    )


def comparable(text: str) -> str:
    """Text both sides agree on: whitespace folded, remote mentions as Mastodon shows them."""
    return " ".join(REMOTE_MENTION.sub(r"\1", text).split())


def plain_text(content: str) -> str:
    """The text of a status's HTML `content`, entities decoded, links whole."""
    reader = _Reader()
    reader.feed(content)
    reader.close()
    return "".join(reader.chunks)


class _Reader(HTMLParser):
    """Every text node counts: Mastodon shortens a link on display by hiding its
    scheme and tail in `invisible` spans, and those spans hold the rest of the URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
