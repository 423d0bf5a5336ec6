"""Composing: blocks built into a numbered thread in which no post's text comes twice,
nor repeats one the destination already made (the ledger's record of posted text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from publisher.channel import Destination
from publisher.edition import Edition
from publisher.ledger import posted_text_hashes, text_hash
from publisher.social.blocks import Block, Post
from publisher.social.settings import Numbering
from publisher.text import Counter

_ROUNDS = 12  # of composing: wider numbers, then marks for posts that repeat


_MOST_MARKS = 5  # a post that still repeats after this many is reported instead


@dataclass(frozen=True)
class Thread:
    """The posts of a thread, and the numbers (from 1) of any that still repeat a post.

    >>> Thread((Post("Trams return.", "en"),), repeats=(1,)).warnings("fediverse")[0][:40]
    'post 1 repeats a post fediverse already '
    """

    posts: tuple[Post, ...]
    repeats: tuple[int, ...] = ()

    def warnings(self, destination: str) -> tuple[str, ...]:
        return tuple(
            f"post {number} repeats a post {destination} already made or makes earlier in "
            "this thread, and a platform may refuse it as a duplicate"
            for number in self.repeats
        )


def compose(
    blocks: Sequence[Block],
    limit: int,
    count: Counter,
    numbering: Numbering = "thread",
    posted: Collection[str] = frozenset(),
) -> Thread:
    """Build the blocks into a numbered thread in which no post's text comes twice.

    With `numbering="thread"` every post ends " n/N", the root included (a
    single post is not numbered). A post whose text (see `ledger.text_hash`)
    is in `posted`, or comes earlier in the thread, gets a mark: its place in
    the thread (" 3/9") when the thread is not numbered, else " (2)", " (3)"...;
    its block is rebuilt with room for the mark, so every post still fits.

    >>> from publisher.social import text_block
    >>> blocks = [text_block(text, len, "en") for text in ("Trams return.", "More soon.")]
    >>> [post.text for post in compose(blocks, 100, len).posts]
    ['Trams return. 1/2', 'More soon. 2/2']
    >>> again = [*blocks, text_block("More soon.", len, "en")]
    >>> [post.text for post in compose(again, 100, len, numbering="none").posts]
    ['Trams return.', 'More soon.', 'More soon. 3/3']
    """
    numbered = numbering == "thread"
    # Most blocks make a post at least: room for as many digits as there are blocks saves
    # building them all again once the count passes 9.
    digits = len(str(len(blocks)))
    marks: dict[tuple[int, int], int] = {}
    composed = Thread(())
    for _ in range(_ROUNDS):
        widest = 10**digits - 1
        numbers = count(f" {widest}/{widest}") if numbered else 0
        built = _build(blocks, limit - numbers, marks, widest, numbered, count)
        total = sum(map(len, built))
        if numbered and total > widest:
            digits += 1
            continue
        if numbered and digits > 1 and total <= widest // 10:
            digits -= 1  # fewer posts than blocks: numbers this wide need not be made room for
            continue
        if total == 1 and numbers:  # a single post is not numbered: it may use the room
            built = _build(blocks, limit, marks, widest, numbered, count)
        composed, more = _numbered(blocks, built, marks, numbered, posted)
        if not more:
            return composed
        marks.update(more)
    return composed


def _mark(level: int, number: int, total: int, numbered: bool) -> str:
    if not numbered and total > 1:
        return f" {number}/{total}" + (f" ({level})" if level > 1 else "")
    return f" ({level + 1})"


def _build(
    blocks: Sequence[Block],
    room: int,
    marks: Mapping[tuple[int, int], int],
    widest: int,
    numbered: bool,
    count: Counter,
) -> list[tuple[str, ...]]:
    built = []
    for index, block in enumerate(blocks):
        levels = [level for (marked_block, _), level in marks.items() if marked_block == index]
        reserve = count(_mark(max(levels), widest, widest, numbered)) if levels else 0
        built.append(block.posts(room - reserve))
    return built


def _numbered(
    blocks: Sequence[Block],
    built: Sequence[tuple[str, ...]],
    marks: Mapping[tuple[int, int], int],
    numbered: bool,
    posted: Collection[str],
) -> tuple[Thread, dict[tuple[int, int], int]]:
    """The thread with its numbers and marks, and the marks that posts still repeating need."""
    total = sum(map(len, built))
    posts: list[Post] = []
    repeats: list[int] = []
    more: dict[tuple[int, int], int] = {}
    seen = set(posted)
    for index, (block, texts) in enumerate(zip(blocks, built, strict=True)):
        for place, body in enumerate(texts):
            number = len(posts) + 1
            level = marks.get((index, place), 0)
            mark = _mark(level, number, total, numbered) if level else ""
            label = f" {number}/{total}" if numbered and total > 1 else ""
            text = body + mark + label
            posts.append(Post(text, block.language, block.extra if place == 0 else {}))
            digest = text_hash(text)
            if digest in seen:
                if level < _MOST_MARKS:
                    more[(index, place)] = level + 1
                else:
                    repeats.append(number)
            seen.add(digest)
    return Thread(tuple(posts), tuple(repeats)), more


def repeats(posts: Sequence[str], posted: Collection[str]) -> tuple[int, ...]:
    """The numbers (from 1) of posts whose text is in `posted` or comes earlier among them.

    `posted` holds what `already_posted` gives: hashes of posts made before.

    >>> repeats(["Trams return.", "More soon.", "Trams return."], frozenset())
    (3,)
    """
    seen, found = set(posted), []
    for number, text in enumerate(posts, start=1):
        digest = text_hash(text)
        if digest in seen:
            found.append(number)
        seen.add(digest)
    return tuple(found)


def already_posted(destination: Destination, edition: Edition) -> frozenset[str]:
    """The `text_hash` of every post the ledger records for `destination` (the parts of the
    unfinished publication of `edition` aside: a resumed run makes them, it does not repeat
    them). Reads the state database, which render may; never creates it.

    Example, in a render (see `thread`)::

        composed = thread(root, replies, limit=300, count=count,
                          posted=already_posted(destination, edition))
    """
    if not destination.state.exists:
        return frozenset()
    return posted_text_hashes(destination.state.engine, destination.name, edition.id)
