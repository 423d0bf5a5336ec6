"""Counting, cutting and threading text for channels with a length limit.

Every channel counts with its own function (Mastodon: graphemes with URLs at a
fixed width; X: twitter-text weights; Bluesky: graphemes) and passes it in; the
cutting rules are the same for all: at a sentence, else at a clause, else at a
word, never inside a word, and marked with an ellipsis where a text is cut short.
`balanced` splits a text over as few posts as it needs, of similar lengths.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from publisher.lines import one_line, plain_line

__all__ = [
    "ELLIPSIS",
    "URL_PATTERN",
    "Counter",
    "Fitted",
    "balanced",
    "cut",
    "cut_to_fit",
    "fit",
    "graphemes",
    "marked",
    "one_line",
    "plain_line",
    "sentences",
    "split",
    "with_urls_as",
]

Counter = Callable[[str], int]
"""How a channel counts a text's length: `graphemes`, `len`, a platform's own weights.

>>> count: Counter = with_urls_as(23)
>>> count("Trams return: https://news.example.org/stories/trams-return-to-the-old-town")
37
"""

ELLIPSIS = "…"
"""The mark a text cut short ends with (`marked`, `cut`).

>>> marked("The first boat left at six", ELLIPSIS)
'The first boat left at six…'
"""

URL_PATTERN = regex.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'’”]", regex.IGNORECASE)
"""A URL in running text, without the punctuation that ends the sentence around it.

>>> URL_PATTERN.findall("See https://news.example.org/a, and http://b.example.")
['https://news.example.org/a', 'http://b.example']
"""
_SENTENCE_GAP = regex.compile(r"(?<=[.!?…][\"'”’»)\]]*)\s+|(?<=[。！？])")
_CLAUSE_GAP = regex.compile(r"(?<=[;:,—–][\"'”’»)\]]*)\s+|(?<=[、，；：])")
_CLAUSE_MARKS = ";:,—–、，；："
_WORD_GAP = regex.compile(r"\s+")
_GRAPHEME = regex.compile(r"\X")
_NO_SPACE_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]")


def graphemes(text: str) -> int:
    """User-perceived characters: an emoji with modifiers or a flag counts once (Bluesky's
    count, and the base of Mastodon's).

    >>> graphemes("👨‍👩‍👧 café"), len("👨‍👩‍👧 café")
    (6, 10)
    """
    return len(_GRAPHEME.findall(text))


def with_urls_as(width: int, count: Counter = graphemes) -> Counter:
    """A counter in which every URL weighs `width`, however long (Mastodon, X).

    >>> count = with_urls_as(23)
    >>> count("Read https://news.example.org/stories/a-very-long-path today")
    34
    """

    def counter(text: str) -> int:
        urls = len(URL_PATTERN.findall(text))
        return count(URL_PATTERN.sub("", text)) + width * urls

    return counter


def sentences(text: str) -> list[str]:
    """Split at sentence ends (Latin and CJK punctuation), keeping the punctuation.

    >>> sentences("Trams return. The first leaves at ten! 切符は？はい。")
    ['Trams return.', 'The first leaves at ten!', '切符は？', 'はい。']
    """
    return [s for s in (part.strip() for part in _SENTENCE_GAP.split(text)) if s]


def marked(head: str, mark: str = ELLIPSIS) -> str:
    """The head of a cut text with its mark: "…" after a word, " …" after a sentence, and
    in place of the comma, colon or dash a clause ended with (",…" reads as a typo).

    >>> marked("The first boat left at six"), marked("The first boat left.")
    ('The first boat left at six…', 'The first boat left. …')
    >>> marked("The first boat left at six,"), marked("The boats — ")
    ('The first boat left at six…', 'The boats…')
    """
    kept = head.rstrip()
    if mark and kept.endswith(tuple(".!?。！？")):
        return f"{kept} {mark}"
    if mark:
        kept = kept.rstrip(_CLAUSE_MARKS).rstrip() or kept
    return kept + mark


def cut(
    text: str, budget: int, count: Counter, mark: str = ELLIPSIS, inside_words: bool = False
) -> tuple[str, str]:
    """The longest head of `text` that fits `budget` (mark included), and the rest.

    >>> cut("The first boat left at six. The second at seven.", 20, len)
    ('The first boat left…', 'at six. The second at seven.')
    """
    return cut_to_fit(text, lambda head: count(head) <= budget, mark, inside_words)


def cut_to_fit(
    text: str, fits: Callable[[str], bool], mark: str = ELLIPSIS, inside_words: bool = False
) -> tuple[str, str]:
    """Cut `text` where the head (with `mark`) still `fits`; return head and rest.

    A text is cut at a sentence end or a clause boundary (`;` `:` `,` `—`, not
    inside brackets or quotes) whenever one fits, else at the last word: at a
    sentence end unless the last clause boundary that fits keeps more than twice
    as much. A boundary that would keep fewer than five words and less than half
    of a cut at the last word ("However…", "In 2024…") does not count. A
    text with no room for one word returns ("", text), except in scripts written
    without spaces (CJK, Thai), which are cut between characters, the only
    boundary they have, and with `inside_words`, the last resort for a word
    longer than a whole post.

    >>> cut_to_fit("The first boat left at six. The second at seven.", lambda h: len(h) <= 30)
    ('The first boat left at six. …', 'The second at seven.')
    >>> cut_to_fit("The first boat left at six, the second at seven.", lambda h: len(h) <= 36)
    ('The first boat left at six…', 'the second at seven.')
    """
    text = text.strip()

    def head(end: int) -> str:
        if end == len(text):  # the whole text: nothing cut, nothing marked
            return text
        return marked(text[:end], mark)

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

    def boundary(gap: regex.Pattern[str], most: int, where: Callable[[int], bool]) -> int | None:
        """The last `gap` that fits, unless it keeps only a few words of many a word cut would
        keep (an opening phrase is no place to stop)."""
        ends = [m.start() for m in gap.finditer(text) if 0 < m.start() <= most and where(m.start())]
        end = longest(ends)
        if end is None or end * 2 >= most or len(text[:end].split()) >= FEWEST_WORDS:
            return end
        return None

    clause_end = boundary(_CLAUSE_GAP, word_end, _outside_brackets(text))
    sentence_end = boundary(_SENTENCE_GAP, word_end, lambda _: True)
    if sentence_end and sentence_end * 2 >= (clause_end or 0):
        end = sentence_end  # a whole sentence, unless a clause keeps twice as much
    else:
        end = clause_end or word_end
    return head(end), text[end:].strip()


_OPENS, _CLOSES = "([{“«‹", ")]}”»›"
FEWEST_WORDS = 5  # a sentence or clause cut keeps at least these, or half a word cut


def _outside_brackets(text: str) -> Callable[[int], bool]:
    """Whether a position of `text` is outside every bracket and quotation, so that a cut
    there never leaves one open ('He said: "we will build it…')."""
    depth, straight, outside = 0, False, []
    for character in text:
        outside.append(depth == 0 and not straight)
        if character in _OPENS:
            depth += 1
        elif character in _CLOSES:
            depth = max(depth - 1, 0)
        elif character == '"':
            straight = not straight
    return lambda position: position < len(outside) and outside[position]


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
    (`balanced` gives posts of similar lengths, which reads better still.)

    >>> split("One sentence here. Another sentence there. A third one.", 30, len)
    ['One sentence here. 1/3', 'Another sentence there. 2/3', 'A third one. 3/3']
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
    """A post that fits, and what was cut from each field to make it fit (`fit`).

    >>> Fitted("Trams Return…", {"headline": "to the Old Town"}).rest["headline"]
    'to the Old Town'
    """

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

    >>> def post(fields):
    ...     return " ".join(v for v in (fields["headline"], fields["tags"], fields["url"]) if v)
    >>> fields = {
    ...     "headline": "Trams Return to the Old Town After Forty Years",
    ...     "tags": "#trams #city",
    ...     "url": "https://n.example/t",
    ... }
    >>> fitted = fit(post, fields, 60, len, droppable=["tags"], cuttable=["headline"])
    >>> fitted.text
    'Trams Return to the Old Town After… https://n.example/t'
    >>> fitted.rest
    {'headline': 'Forty Years'}
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

        def fits_as(head: str, name: str = name) -> bool:
            return fits({**current, name: head})

        current[name], rest[name] = cut_to_fit(current[name], fits_as)
    return Fitted(render(current), {name: text for name, text in rest.items() if text})


# Balanced threads ---------------------------------------------------------------------------
#
# A text that needs k posts is cut into k posts of similar length, not k-1 full ones and an
# orphan, the way a line breaker fills a paragraph: every place a cut may fall is a
# candidate, and a dynamic programme picks the set of cuts with the lowest cost over the
# whole text. Widths are counted once per piece
# of text (a word, or a character of a script written without spaces) and added up, so the
# programme never counts a head of text again; each chosen post is then counted whole, and
# the plan is redone with less room in the rare case where a count is not additive.

SENTENCE, CLAUSE, WORD, INSIDE_WORD = range(4)
"""Where a cut falls, best first; a cut inside a word is the last resort."""

# Costs are compared in this order: fewer cuts inside words, fewer cuts between words, fewer
# posts, fewer cuts at clauses, then the most even lengths (a few units at most). A post more
# is a smaller price than a sentence cut in the middle; a clause boundary is not.
_PENALTY = (0.0, 1e3, 1e9, 1e12)
_PER_POST = 1e6
_EVEN_TRIES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # shortest allowed post, as a share of the mean

_CLOSERS = "\"'”’»)]"
_ATOM = regex.compile(r"\S+")
_SENTENCE_ENDS = frozenset(".!?…")
_CLAUSE_ENDS = frozenset(";:,—–")
_ABBREVIATION = regex.compile(r"(?:\p{L}\.){1,3}|(?i:e\.g|i\.e|vs|mr|mrs|ms|dr|st|no)\.")
_CJK_SENTENCE_END = frozenset("。！？")
_CJK_CLAUSE_END = frozenset("、，；：")
# Japanese and Chinese line-breaking rules (kinsoku): these never start or end a line.
_NEVER_FIRST = frozenset(
    "。、，．・：；！？」』）】〕〉》ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ…‥々"
)
_NEVER_LAST = frozenset("「『（【〔〈《")


@dataclass
class _Pieces:
    """The text as pieces that are never cut (words, or characters of scripts without spaces),
    their widths, the width of what separates each from the next, and how good a cut there is."""

    starts: list[int] = field(default_factory=list)  # offsets in the text
    ends: list[int] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)  # dropped when the text is cut there
    ranks: list[int | None] = field(default_factory=list)  # None: no cut after this piece

    def add(self, start: int, end: int, width: int, gap: int, rank: int | None) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.widths.append(width)
        self.gaps.append(gap)
        self.ranks.append(rank)


def balanced(text: str, limit: int, count: Counter, first: int | None = None) -> list[str]:
    """Split `text` into posts of at most `limit` and of similar lengths.

    Cuts fall at sentence ends, else at clause boundaries (`;` `:` `,` `—`), else
    between words, and inside a word only in scripts written without spaces or
    for a word longer than a whole post. A text takes as few posts as it can
    without cutting a sentence between two words (a post more is better than
    that; a cut at a clause is not), and the shortest post is kept to at least
    half the longest whenever the text allows it. With `first`, the first post
    has only that much room (what a root post leaves for its text); it is ""
    when not even one word fits. Nothing is added or lost: the posts, joined
    with what separated them, give back the text.

    >>> from publisher.text import balanced
    >>> balanced("A first sentence here. And another one follows it.", 40, len)
    ['A first sentence here.', 'And another one follows it.']
    """
    text = text.strip()
    if not text:
        return []
    pieces = _split_into_pieces(text, count, limit)
    if first is not None and pieces.widths[0] > first:
        return ["", *balanced(text, limit, count)]  # the first post has no room for a word
    caps = [limit if first is None else first, limit]
    for _ in range(3):
        plan = _best_plan(pieces, caps)
        if plan is None:
            break
        posts = _posts(text, pieces, plan)
        over = max(count(post) - caps[number > 0] for number, post in enumerate(posts) if post)
        if over <= 0:
            return posts
        caps = [max(1, cap - over) for cap in caps]  # a counter that is not additive
    # The exact way, counting every head it tries: slower, and uneven, but never over.
    chunks = _chunks(text, limit, count)
    return ["", *chunks] if first is not None else chunks


def _split_into_pieces(text: str, count: Counter, limit: int) -> _Pieces:
    widths: dict[str, int] = {}

    def width(piece: str) -> int:
        if piece not in widths:
            widths[piece] = count(piece)
        return widths[piece]

    pieces = _Pieces()
    atoms = list(_ATOM.finditer(text))
    for index, atom in enumerate(atoms):
        word = atom.group()
        inside = _cuts_inside(word, overlong=width(word) > limit)
        bounds = [0, *(offset for offset, _ in inside), len(word)]
        for (start, end), (_, rank) in zip(itertools.pairwise(bounds), inside, strict=False):
            pieces.add(atom.start() + start, atom.start() + end, width(word[start:end]), 0, rank)
        last = word[bounds[-2] :]
        if index + 1 < len(atoms):
            gap = text[atom.end() : atoms[index + 1].start()]
            rank = _rank_between(word, gap)
            pieces.add(atom.end() - len(last), atom.end(), width(last), width(gap), rank)
        else:
            pieces.add(atom.end() - len(last), atom.end(), width(last), 0, None)
    return pieces


def _rank_between(word: str, gap: str) -> int:
    if "\n" in gap:
        return SENTENCE
    last = word.rstrip(_CLOSERS)[-1:]
    if last in _SENTENCE_ENDS and last and not _ABBREVIATION.fullmatch(word):
        return SENTENCE
    if last in _CLAUSE_ENDS and last:
        return CLAUSE
    return WORD


def _cuts_inside(word: str, overlong: bool) -> list[tuple[int, int]]:
    """Offsets inside a word where it may be cut, with their ranks: between the characters of
    scripts written without spaces, and anywhere in a word longer than a whole post."""
    if not overlong and (word.isascii() or not _NO_SPACE_SCRIPT.search(word)):
        return []
    cuts = []
    characters = [match.group() for match in _GRAPHEME.finditer(word)]
    offset = 0
    for before, after in itertools.pairwise(characters):
        offset += len(before)
        no_spaces = _NO_SPACE_SCRIPT.search(before) or _NO_SPACE_SCRIPT.search(after)
        allowed = after[0] not in _NEVER_FIRST and before[-1] not in _NEVER_LAST
        if no_spaces and allowed:
            rank = (
                SENTENCE
                if before in _CJK_SENTENCE_END
                else CLAUSE
                if before in _CJK_CLAUSE_END
                else WORD
            )
            cuts.append((offset, rank))
        elif overlong:
            cuts.append((offset, INSIDE_WORD))
    return cuts


def _best_plan(pieces: _Pieces, caps: list[int]) -> list[int] | None:
    """The last piece of each post in the best split, or None when a piece fits no post."""
    layout = _Layout(pieces, caps)
    fewest = layout.greedy()
    if fewest is None:
        return None
    if len(fewest) == 1:
        return fewest
    # The best split cuts between words only where it must: when it need not at all, it has
    # as many posts as the fullest split at sentences and clauses. Otherwise, plan twice.
    clean = layout.greedy(worst=CLAUSE)
    posts = len(clean) if clean is not None else len(fewest)
    free = layout.plan(posts, share=0.0)
    if free is not None and len(free[1]) != posts:
        free = layout.plan(len(free[1]), share=0.0)
    if free is None:
        return fewest
    if layout.even(free[1]):
        return free[1]  # the best split of all is even: nothing better among the even ones
    for count in dict.fromkeys((len(free[1]), len(fewest))):
        plans = (layout.plan(count, share) for share in _EVEN_TRIES)
        found = [plan for plan in plans if plan is not None and layout.even(plan[1])]
        if found:
            return min(found)[1]
    return free[1]


class _Layout:
    """The dynamic programme over one text's pieces, for one pair of caps (first post, others)."""

    def __init__(self, pieces: _Pieces, caps: list[int]) -> None:
        self.pieces = pieces
        self.first, self.cap = caps
        self.has_first = caps[0] != caps[1]
        count = len(pieces.widths)
        self.prefix = list(itertools.accumulate(map(operator.add, pieces.widths, pieces.gaps)))
        self.prefix.insert(0, 0)
        # A post ends after piece e (where a cut is allowed, or at the end) and starts at s.
        self.ends = [e for e in range(count) if e == count - 1 or pieces.ranks[e] is not None]
        self.end_at = [self.prefix[e + 1] - pieces.gaps[e] for e in self.ends]
        self.starts = [0, *(e + 1 for e in self.ends[:-1])]
        self.start_at = [self.prefix[s] for s in self.starts]

    def _room(self, start: int) -> int:
        return self.first if start == 0 else self.cap

    def greedy(self, worst: int = INSIDE_WORD) -> list[int] | None:
        """Each post as full as it can be, cut no worse than `worst`: the fewest posts so cut,
        though not even ones; None if some stretch between such cuts fits no post."""
        plan: list[int] = []
        ranks, last = self.pieces.ranks, len(self.pieces.widths) - 1
        start = 0
        while start <= last:
            index = bisect.bisect_right(self.end_at, self.prefix[start] + self._room(start)) - 1
            while index >= 0 and start <= self.ends[index] < last:
                rank = ranks[self.ends[index]]
                if rank is not None and rank <= worst:
                    break
                index -= 1
            if index < 0 or self.ends[index] < start:
                return None
            plan.append(self.ends[index])
            start = plan[-1] + 1
        return plan

    def widths(self, plan: list[int]) -> list[int]:
        starts = [0, *(end + 1 for end in plan[:-1])]
        return [
            self.prefix[end + 1] - self.pieces.gaps[end] - self.prefix[start]
            for start, end in zip(starts, plan, strict=True)
        ]

    def even(self, plan: list[int]) -> bool:
        widths = self.widths(plan)[1 if self.has_first else 0 :]
        return not widths or 2 * min(widths) >= max(widths)

    def plan(self, posts: int, share: float) -> tuple[float, list[int]] | None:
        """The cheapest split, with lengths measured against the mean of `posts` posts: each
        post at least `share` of that mean and at most twice as long (the first post, with a
        room of its own, excepted); None if no split keeps to that."""
        pieces = self.pieces
        room = self.cap * (posts - 1) + (self.first if self.has_first else self.cap)
        fill = self.end_at[-1] / room  # how full the posts are on average
        target, first_target = fill * self.cap, fill * self.first
        shortest = share * target
        longest = min(float(self.cap), 2 * shortest) if share else float(self.cap)
        last = len(pieces.widths) - 1
        scale = 1 / (target * target)  # deviations are measured as a share of the mean
        start_at = self.start_at
        best = [math.inf] * (last + 2)  # by piece: the cheapest split of what comes before
        best[0] = 0.0
        before = [math.inf] * len(self.starts)  # the same, by start
        before[0] = 0.0
        back = [0] * (last + 2)
        skip = 1 if self.has_first else 0
        for index, (end, end_at) in enumerate(zip(self.ends, self.end_at, strict=True)):
            lowest = max(bisect.bisect_left(start_at, end_at - longest), skip)
            highest = min(bisect.bisect_right(start_at, end_at - shortest), index + 1)
            cheapest, chosen = math.inf, -1
            if lowest < highest:
                aim = end_at - target
                costs = [
                    cost + (aim - at) * (aim - at) * scale
                    for cost, at in zip(
                        before[lowest:highest], start_at[lowest:highest], strict=True
                    )
                ]
                cheapest = min(costs)
                chosen = lowest + costs.index(cheapest)
            if self.has_first and end_at <= self.first:
                deviation = (end_at - first_target) / first_target if first_target else 0.0
                if deviation * deviation < cheapest:
                    cheapest, chosen = deviation * deviation, 0
            if cheapest == math.inf:
                continue
            rank = pieces.ranks[end]
            penalty = _PENALTY[rank] if end < last and rank is not None else 0.0
            best[end + 1] = cheapest + _PER_POST + penalty
            back[end + 1] = self.starts[chosen]
            if index + 1 < len(before):
                before[index + 1] = best[end + 1]
        if best[last + 1] == math.inf:
            return None
        plan, at = [], last + 1
        while at > 0:
            plan.append(at - 1)
            at = back[at]
        plan.reverse()
        return best[last + 1], plan


def _posts(text: str, pieces: _Pieces, plan: list[int]) -> list[str]:
    starts = [0, *(end + 1 for end in plan[:-1])]
    return [
        text[pieces.starts[start] : pieces.ends[end]]
        for start, end in zip(starts, plan, strict=True)
    ]
