"""Counting, cutting and threading text for channels with a length limit.

Every channel counts with its own function (Mastodon: graphemes with URLs at a
fixed width; X: twitter-text weights; Bluesky: graphemes) and passes it in; the
cutting rules are the same for all: at a sentence, else at a word, never inside
a word, and marked with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

Counter = Callable[[str], int]
ELLIPSIS = "…"

URL_PATTERN = regex.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'’”]", regex.IGNORECASE)
_SENTENCE_GAP = regex.compile(r"(?<=[.!?…][\"'”’»)\]]*)\s+|(?<=[。！？])")
_WORD_GAP = regex.compile(r"\s+")
_GRAPHEME = regex.compile(r"\X")
_NO_SPACE_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]")


def graphemes(text: str) -> int:
    """User-perceived characters: an emoji with modifiers or a flag counts once."""
    return len(_GRAPHEME.findall(text))


def with_urls_as(width: int, count: Counter = graphemes) -> Counter:
    """A counter in which every URL weighs `width`, however long (Mastodon, X)."""

    def counter(text: str) -> int:
        urls = len(URL_PATTERN.findall(text))
        return count(URL_PATTERN.sub("", text)) + width * urls

    return counter


def sentences(text: str) -> list[str]:
    """Split at sentence ends (Latin and CJK punctuation), keeping the punctuation."""
    return [s for s in (part.strip() for part in _SENTENCE_GAP.split(text)) if s]


def cut(
    text: str, budget: int, count: Counter, mark: str = ELLIPSIS, inside_words: bool = False
) -> tuple[str, str]:
    """The longest head of `text` that fits `budget` (mark included), and the rest."""
    return cut_to_fit(text, lambda head: count(head) <= budget, mark, inside_words)


def cut_to_fit(
    text: str, fits: Callable[[str], bool], mark: str = ELLIPSIS, inside_words: bool = False
) -> tuple[str, str]:
    """Cut `text` where the head (with `mark`) still `fits`; return head and rest.

    A sentence end is preferred when it keeps at least half of what cutting at
    the last whole word would. A text with no room for one word returns
    ("", text), except in scripts written without spaces (CJK, Thai), which are
    cut between characters, the only boundary they have, and with
    `inside_words`, the last resort for a word longer than a whole post.
    """
    text = text.strip()

    def head(end: int) -> str:
        if end == len(text):  # the whole text: nothing cut, nothing marked
            return text
        kept = text[:end].rstrip()
        return f"{kept} {mark}" if mark and kept.endswith(tuple(".!?。！？")) else kept + mark

    tried: dict[int, bool] = {}  # word and sentence searches meet at the same ends

    def fits_at(end: int) -> bool:
        if end not in tried:
            tried[end] = fits(head(end))
        return tried[end]

    def longest(ends: list[int]) -> int | None:
        return _last_true(ends, fits_at)

    word_end = longest([*(m.start() for m in _WORD_GAP.finditer(text)), len(text)])
    if word_end == len(text):
        return text, ""
    if word_end is None:
        first_word = _WORD_GAP.split(text, maxsplit=1)[0]
        if not (inside_words or _NO_SPACE_SCRIPT.search(first_word)):
            return "", text
        word_end = longest([m.end() for m in _GRAPHEME.finditer(first_word)][:-1])
        if word_end is None:
            return "", text
    sentence_end = longest(
        [m.start() for m in _SENTENCE_GAP.finditer(text) if 0 < m.start() <= word_end]
    )
    end = sentence_end if sentence_end and sentence_end * 2 >= word_end else word_end
    return head(end), text[end:].strip()


def _last_true(points: list[int], test: Callable[[int], bool]) -> int | None:
    """The last point that passes `test`, which holds up to some point and then fails.

    Counting a head costs its length, so the search gallops from the start
    (1, 2, 4, ... points in) and bisects only the last stride: the heads it
    tries are never much longer than the answer, however long the text.
    """
    if not points or not test(points[0]):
        return None
    good, stride = 0, 1
    while good + stride < len(points) and test(points[good + stride]):
        good, stride = good + stride, stride * 2
    low, high = good + 1, min(good + stride, len(points)) - 1
    while low <= high:
        middle = (low + high) // 2
        if test(points[middle]):
            good, low = middle, middle + 1
        else:
            high = middle - 1
    return points[good]


def split(
    text: str, limit: int, count: Counter, numbered: bool = True, at_sentences: bool = False
) -> list[str]:
    """Split `text` into posts of at most `limit`, numbered " 1/3" when there are several.

    With `at_sentences`, posts break only between sentences, and a sentence is
    cut at a word only when it is too long for a post of its own: a thread
    reads better one whole thought per post than with every post filled up.
    """
    text = text.strip()
    whole = count(text)
    if whole <= limit:
        return [text] if text else []
    head = _sentence_head if at_sentences else cut
    if not numbered:
        return _chunks(text, limit, count, head)
    # Room for " n/N" depends on how many posts there are. Guess it, counting posts
    # two-thirds full (cuts fall at sentence and word ends), and try again if wrong.
    most = 10 ** len(str(-(-whole * 3 // max(2, 2 * (limit - 8))))) - 1
    while True:
        chunks = _chunks(text, limit - count(f" {most}/{most}"), count, head)
        if len(chunks) <= most:
            return [f"{chunk} {n}/{len(chunks)}" for n, chunk in enumerate(chunks, 1)]
        most = most * 10 + 9


def _chunks(
    text: str, budget: int, count: Counter, head: Callable[..., tuple[str, str]] = cut
) -> list[str]:
    chunks: list[str] = []
    rest = text
    while rest:
        chunk, rest = head(rest, budget, count, mark="")
        if not chunk:  # a word longer than a whole post: cut it, or it cannot be posted at all
            chunk, rest = cut(rest, budget, count, mark="", inside_words=True)
        if not chunk:
            raise ValueError(f"not one character of {rest[:40]!r} fits in {budget}")
        chunks.append(chunk)
    return chunks


def _sentence_head(text: str, budget: int, count: Counter, mark: str = "") -> tuple[str, str]:
    """The most whole sentences of `text` that fit `budget`; else `cut` inside the first."""
    ends = [*(m.start() for m in _SENTENCE_GAP.finditer(text) if m.start()), len(text)]
    end = _last_true(ends, lambda end: count(text[:end].rstrip()) <= budget)
    if end == len(text):
        return text, ""
    if end is None:
        return cut(text, budget, count, mark)
    return text[:end].rstrip(), text[end:].strip()


@dataclass
class Fitted:
    """A post that fits, and what was cut from each field to make it fit."""

    text: str
    rest: dict[str, str] = field(default_factory=dict)


def fit(
    render: Callable[[Mapping[str, str]], str],
    fields: Mapping[str, str],
    limit: int,
    count: Counter,
    droppable: Sequence[str] = (),
    cuttable: Sequence[str] = (),
) -> Fitted:
    """Render a post from `fields`, shrinking it until it fits `limit`.

    First the words of each `droppable` field go, last word first (hashtags);
    then each `cuttable` field in turn is cut at a sentence or word boundary,
    the rest kept in `Fitted.rest` for a thread to carry on with. Fields in
    neither list (the link) are never touched.
    """
    current = dict(fields)
    rest: dict[str, str] = {}

    def fits(values: Mapping[str, str]) -> bool:
        return count(render(values)) <= limit

    for name in droppable:
        words = current[name].split()
        while words and not fits(current):
            words.pop()
            current[name] = " ".join(words)
    for name in cuttable:
        if fits(current):
            break
        current[name], rest[name] = cut_to_fit(
            current[name], lambda head, name=name: fits({**current, name: head})
        )
    return Fitted(render(current), {name: text for name, text in rest.items() if text})
