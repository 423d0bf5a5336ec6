"""Posts and threads: the shape Mastodon, X, Bluesky and their kind share.

A channel decides what its posts say and how it counts; this module turns
that into a thread the same way for all of them, so no channel writes its own:

- a thread is made of `Block`s (a root post and what it could not hold, the
  summary, each FAQ entry, the disclosure), each built for the room a post has
  once the thread's numbering ("3/9", root included) is added;
- `compose` numbers the thread, and gives any post that would repeat another
  one, or one the destination already made (`already_posted`), a mark of its
  own so that no platform refuses it as a duplicate;
- `thread` adds the disclosure a generated story carries, in the root post or
  as the thread's last post, as the destination chooses;
- `chain` turns the posts into `Part`s that reply each to the one before;
- `story_thread` does it all for a story or a digest, asking the channel only
  for its post about one story (a `StoryPost` made a `Block`).

A channel's render, in short (the parts every channel shares are `story_thread`'s;
this is the X channel's, whose root post says headline, dek and link):

    post = with_disclosure(post_template(destination.templates, "x/post.txt"))

    def story_post(wanted: StoryPost) -> Block:
        story = wanted.story
        fields = {"headline": story.headline, "dek": story.dek, "url": story.url}
        more = [name for name in wanted.fields if name != "disclosure"]  # a digest's title
        return post_block(post, {**fields, **wanted.fields}, count, story.language,
                          cuttable=["dek", "headline", *more], extra=wanted.extra)

    composed = story_thread(edition, destination, story_post, limit=280, count=count,
                            posted=already_posted(destination, edition),
                            picture=picture, summary_replies=True)
    parts = chain(composed.posts, 280, count)
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import regex
from pydantic import AfterValidator, Field

from publisher.channel import Destination, Part
from publisher.config import ChannelSettings, check_pattern
from publisher.edition import Edition
from publisher.errors import InputError
from publisher.ledger import posted_text_hashes, text_hash
from publisher.story import Story
from publisher.templates import Templates
from publisher.text import ELLIPSIS, Counter, balanced, cut, fit, graphemes, marked

__all__ = [
    "Block",
    "DigestTitle",
    "Disclosure",
    "DisclosureMode",
    "Numbering",
    "Picture",
    "PictureUnavailable",
    "Post",
    "SocialSettings",
    "StoryPost",
    "Thread",
    "ThreadMode",
    "already_posted",
    "chain",
    "check_max_posts",
    "check_thread_size",
    "compose",
    "digest_title",
    "disclosure_for",
    "faq_blocks",
    "fetch_picture",
    "hashtag",
    "hashtags",
    "picture_extra",
    "post_block",
    "post_template",
    "repeats",
    "shared_template",
    "story_disclosure",
    "story_thread",
    "summary_post",
    "text_block",
    "thread",
    "with_disclosure",
    "written_posts",
    "written_thread",
]

ThreadMode = Literal["none", "summary", "faq"]
"""What a story's thread carries after its root post: nothing, the summary, or the summary
and the FAQ (the `thread` setting).

>>> SocialSettings(channel="bluesky", thread="faq").thread
'faq'
"""

Numbering = Literal["thread", "none"]
"""Whether every post of a thread ends " n/N", the root included (the `numbering` setting).

>>> SocialSettings(channel="bluesky").numbering
'thread'
"""

DisclosureMode = Literal["auto", "root", "last", "none"]
"""Where a thread says that an editorial model wrote its story (the `disclosure` setting):
in the root post, as the last post, "auto" (the last post when there is a thread, else
the root), or nowhere.

>>> SocialSettings(channel="bluesky", disclosure="last").disclosure
'last'
"""

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
_NOT_WORD = regex.compile(r"[^\p{L}\p{N}_]+")
_ROUNDS = 12  # of composing: wider numbers, then marks for posts that repeat
_MOST_MARKS = 5  # a post that still repeats after this many is reported instead


def hashtag(tag: str) -> str:
    """'open source' -> '#OpenSource', 'GPT-4o' -> '#GPT4o'; '' when nothing is left.

    >>> hashtag("open source"), hashtag("GPT-4o"), hashtag("!!")
    ('#OpenSource', '#GPT4o', '')
    """
    words = [word for word in _NOT_WORD.split(tag) if word]
    return "#" + "".join(word[0].upper() + word[1:] for word in words) if words else ""


def hashtags(tags: Iterable[str]) -> str:
    """A story's tags as hashtags, each once, in order.

    >>> hashtags(["open source", "Open Source", "trams"])
    '#OpenSource #Trams'
    """
    return " ".join(dict.fromkeys(tag for tag in map(hashtag, tags) if tag))


def digest_title(pattern: str, site: str, date: datetime | None) -> str:
    """A digest's title from a destination's `digest_title` pattern: `{site}` is the site's
    name, `{date}` the end of the digest's window (`edition.end`, which every digest has).
    Shared so that every channel (and the check in `DigestTitle`) offers the same
    placeholders.

    >>> week = datetime(2026, 11, 23, tzinfo=UTC)
    >>> digest_title("{site}: the week to {date:%d %B %Y}", "Harbour News", week)
    'Harbour News: the week to 23 November 2026'
    """
    return pattern.format(site=site, date=date)


def _valid_digest_title(pattern: str) -> str:
    """Try the pattern on sample values when the configuration loads, so that a bad
    placeholder is named there instead of failing the first digest."""
    return check_pattern(pattern, {"site": "Site", "date": datetime(2026, 1, 1, tzinfo=UTC)})


DigestTitle = Annotated[str, AfterValidator(_valid_digest_title)]
"""A settings field for a digest title pattern, checked when the configuration loads.

>>> SocialSettings(channel="bluesky", digest_title="{site} weekly").digest_title
'{site} weekly'
>>> SocialSettings(channel="bluesky", digest_title="{sitename}")
Traceback (most recent call last):
pydantic_core._pydantic_core.ValidationError: 1 validation error for SocialSettings
...
"""


class SocialSettings(ChannelSettings):
    """What every social destination chooses about its threads; a channel's settings
    subclass this (and may change a default, as Mastodon does for `thread`).

    >>> class BoardSettings(SocialSettings):
    ...     board: str
    ...     thread: ThreadMode = "faq"
    >>> settings = BoardSettings(channel="board", board="news")
    >>> (settings.thread, settings.numbering, settings.disclosure, settings.max_posts)
    ('faq', 'thread', 'auto', 25)
    """

    thread: ThreadMode = "summary"
    numbering: Numbering = "thread"  # "3/9" on every post, root included; or none
    disclosure: DisclosureMode = "auto"  # where a generated story says so
    digest_title: DigestTitle = "{site}: the week to {date:%d %B %Y}"
    max_posts: int = Field(default=25, ge=1)  # a longer thread is refused, nothing sent


def post_template(
    templates: Templates, name: str | Sequence[str]
) -> Callable[[Mapping[str, Any]], str]:
    r"""A template as a function of its fields, with the blank lines of empty fields removed.

    Given several names, the first that exists: a channel's own `x/faq.txt`, say, before
    the `social/faq.txt` every social channel shares.

    >>> post = post_template(Templates([]), "x/post.txt")  # the defaults only
    >>> post({"headline": "Trams Return", "dek": "", "url": "https://n.example/t"})
    'Trams Return\n\nhttps://n.example/t'
    """
    names = [name] if isinstance(name, str) else list(name)

    def render(fields: Mapping[str, Any]) -> str:
        text = templates.render(names, **fields)
        return _BLANK_LINES.sub("\n\n", text).strip()

    return render


def shared_template(
    templates: Templates, channel: str, name: str
) -> Callable[[Mapping[str, Any]], str]:
    r"""`{channel}/{name}` when there is one (a user's, or the channel's), else `social/{name}`.

    >>> faq = shared_template(Templates([]), "bluesky", "faq.txt")  # social/faq.txt
    >>> faq({"question": "When?", "answer": "At ten."})
    'When?\nAt ten.'
    """
    return post_template(templates, [f"{channel}/{name}", f"social/{name}"])


# Blocks: what a thread is made of ----------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One post of a thread: its text, its story's language, and what travels with it.

    >>> Post("Trams return 1/2", "en", {"image": {"url": "https://n.example/t.jpg"}}).language
    'en'
    """

    text: str
    language: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Block:
    """Posts that belong together, built for a room: the most one post may count.

    `build(room)` gives the block's posts; `extra` travels with the first of
    them (a story's picture, on a root post). A block is built once per room.

    >>> block = Block(lambda room: ["Trams return."] if room >= 13 else ["Trams…"], "en")
    >>> block.posts(300), block.posts(10)
    (('Trams return.',), ('Trams…',))
    """

    build: Callable[[int], Sequence[str]]
    language: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    _built: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def posts(self, room: int) -> tuple[str, ...]:
        if room not in self._built:
            self._built[room] = tuple(post for post in self.build(room) if post)
        return self._built[room]


def text_block(text: str, count: Counter, language: str) -> Block:
    """A text cut into as few posts as it needs, of similar lengths (`text.balanced`).

    >>> text_block("A first sentence here. And another one follows it.", len, "en").posts(40)
    ('A first sentence here.', 'And another one follows it.')
    """
    return Block(lambda room: balanced(text, room, count), language)


def post_block(
    render: Callable[[Mapping[str, str]], str],
    fields: Mapping[str, str],
    count: Counter,
    language: str,
    *,
    droppable: Sequence[str] = (),
    cuttable: Sequence[str] = (),
    carry: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Block:
    r"""A post rendered from `fields` and fitted to the room (`text.fit`).

    With `carry`, the text cut from that field is not lost: it goes on in
    replies, the post and the replies balanced together, the post ending "…".

    >>> def post(fields):
    ...     return "\n\n".join(v for v in (fields["headline"], fields["dek"], fields["url"]) if v)
    >>> fields = {
    ...     "headline": "Trams Return to the Old Town",
    ...     "dek": "The line reopens on Monday, forty years after it closed.",
    ...     "url": "https://n.example/t",
    ... }
    >>> root, reply = post_block(post, fields, len, "en", cuttable=["dek"], carry="dek").posts(80)
    >>> print(root)
    Trams Return to the Old Town
    <BLANKLINE>
    The line reopens…
    <BLANKLINE>
    https://n.example/t
    >>> reply
    'on Monday, forty years after it closed.'
    """

    def build(room: int) -> list[str]:
        fitted = fit(render, fields, room, count, droppable, cuttable)
        rest = fitted.rest.get(carry, "") if carry else ""
        if not carry or not rest:
            return [fitted.text]
        whole = fields[carry].strip()
        kept = whole[: len(whole) - len(rest)].rstrip()
        # Room for the kept head less one: its mark may need a space more than the cut's did.
        head, *more = balanced(whole, room, count, first=max(count(kept) - 1, 0))
        if head:
            narrower = [name for name in cuttable if name != carry]
            refitted = fit(
                render, {**fields, carry: marked(head)}, room, count, droppable, narrower
            )
            if carry not in refitted.rest and count(refitted.text) <= room:
                return [refitted.text, *more]
        return [fitted.text, *balanced(rest, room, count)]

    return Block(build, language, dict(extra or {}))


def faq_blocks(story: Story, templates: Templates, channel: str, count: Counter) -> list[Block]:
    r"""One block per FAQ entry from `faq.txt` (`shared_template`: by default the question on
    its own line, then the answer, with no label in any one language).

    >>> from publisher.testing import make_story
    >>> story = make_story(faq=[{"q": "When?", "a": "At ten."}, {"q": "Where?", "a": "Pier 4."}])
    >>> [block.posts(300) for block in faq_blocks(story, Templates([]), "bluesky", len)]
    [('When?\nAt ten.',), ('Where?\nPier 4.',)]
    """
    render = shared_template(templates, channel, "faq.txt")
    return [
        text_block(
            render({"question": entry.question, "answer": entry.answer}), count, story.language
        )
        for entry in story.faq
    ]


# Composing: numbers, and no post twice --------------------------------------------------------


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


# Disclosure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """How a thread says that an editorial model wrote its story: `inline` is said in the
    root post, `post` as the thread's last post; `mode` is the destination's choice.

    >>> last = text_block("“Trams Return” was written by an AI model.", len, "en")
    >>> Disclosure("last", "Written by an AI model.", last).post.posts(300)
    ('“Trams Return” was written by an AI model.',)
    """

    mode: DisclosureMode
    inline: str
    post: Block


def disclosure_for(
    edition: Edition, destination: Destination[SocialSettings], count: Counter
) -> Disclosure | None:
    """The disclosure of an edition with a generated story, from `disclosure.txt`
    (`shared_template`); None when no story is generated or the destination's `disclosure`
    is "none".

    The template is given `where` ("root" or "post"), `language`, `headline` (the first
    generated story's), `headlines` (every generated story's), `title` (a digest's),
    `sources` (its source count), `generated` and `stories` (how many of how many). A
    digest's closing post names the generated stories: their headlines whole when they fit,
    else each shortened alike (marked "…"). A template that writes nothing for a language
    is asked again in English, and the post is marked English.

    Example, in a render (see `thread`)::

        disclosure = disclosure_for(edition, destination, count)
        composed = thread(root, replies, limit=300, count=count, disclosure=disclosure)
    """
    settings = destination.settings
    generated = [story for story in edition.stories if story.generated]
    if settings.disclosure == "none" or not generated:
        return None
    first = generated[0]
    end = edition.end if edition.kind == "digest" else None
    title = digest_title(settings.digest_title, destination.site.name, end) if end else ""
    fields = _disclosure_fields(generated, len(edition.stories), title)
    template = shared_template(destination.templates, destination.channel, "disclosure.txt")
    language = _disclosure_language(template, fields, first.language)
    inline = template({**fields, "where": "root", "language": language})
    post = {**fields, "where": "post", "language": language}
    if end is not None:
        block = _naming_block(template, post, count, language)
    else:
        block = post_block(template, post, count, language, cuttable=["headline"])
    return Disclosure(settings.disclosure, inline, block)


def story_disclosure(story: Story, templates: Templates, channel: str) -> str:
    """The line that says an editorial model wrote `story`, for a channel that shows the
    story whole (the email puts it under each generated story): `disclosure.txt` as a root
    post says it (`where` "root"), from `{channel}/disclosure.txt` when there is one, else
    `social/disclosure.txt`; "" for a story a person is responsible for.

    >>> from publisher.testing import make_story
    >>> story = make_story(generated=True, source_count=20)
    >>> story_disclosure(story, Templates([]), "email")
    'Written by an AI model from 20 source records; no person reviewed it before publication.'
    >>> story_disclosure(make_story(), Templates([]), "email")
    ''
    """
    if not story.generated:
        return ""
    template = shared_template(templates, channel, "disclosure.txt")
    fields = _disclosure_fields([story], 1, "")
    language = _disclosure_language(template, fields, story.language)
    return template({**fields, "where": "root", "language": language})


def _disclosure_fields(generated: Sequence[Story], stories: int, title: str) -> dict[str, Any]:
    first = generated[0]
    return {
        "headline": first.headline,
        "headlines": [story.headline for story in generated],
        "title": title,
        "sources": str(first.source_count or "") if not title else "",
        "generated": str(len(generated)),
        "stories": str(stories),
    }


def _disclosure_language(
    template: Callable[[Mapping[str, Any]], str], fields: Mapping[str, Any], language: str
) -> str:
    """The story's language when the template writes something for it, else English."""
    return language if template({**fields, "where": "post", "language": language}) else "en"


def _naming_block(
    template: Callable[[Mapping[str, Any]], str],
    fields: Mapping[str, Any],
    count: Counter,
    language: str,
) -> Block:
    """A digest's closing disclosure, naming each generated story: the headlines whole when
    the post has room, else all shortened to the longest length that fits, else the title
    cut too."""
    whole = list(fields["headlines"])

    def named(most: int | None) -> dict[str, Any]:
        names = whole if most is None else [_shortened(headline, most) for headline in whole]
        return {**fields, "headlines": names, "headline": names[0]}

    def build(room: int) -> list[str]:
        def fits(most: int | None) -> bool:
            return count(template(named(most))) <= room

        if fits(None):
            return [template(named(None))]
        best, low, high = 1, 1, max(map(graphemes, whole)) - 1
        while low <= high:  # the most graphemes a name may keep; fewer always fit better
            middle = (low + high) // 2
            if fits(middle):
                best, low = middle, middle + 1
            else:
                high = middle - 1
        values = named(best)
        return [fit(template, values, room, count, cuttable=["title"]).text]

    return Block(build, language)


def _shortened(headline: str, most: int) -> str:
    """A headline in at most `most` graphemes, "…" included: cut at a word if one fits."""
    head = cut(headline, most, graphemes)[0] or cut(headline, most, graphemes, inside_words=True)[0]
    return head or ELLIPSIS


def thread(
    root: Callable[[str], Block],
    replies: Sequence[Block],
    *,
    limit: int,
    count: Counter,
    numbering: Numbering = "thread",
    disclosure: Disclosure | None = None,
    posted: Collection[str] = frozenset(),
) -> Thread:
    """A composed thread with its disclosure where the destination wants it.

    `root(text)` is the root block with `text` in it ("" for none). "root" puts
    the disclosure there; "last" makes it the thread's last post; "auto" does
    that when there is a thread at all, and puts it in the root otherwise.

    >>> def root(disclosure):
    ...     return text_block(" ".join(t for t in ("Trams Return", disclosure) if t), len, "en")
    >>> composed = thread(root, [text_block("More soon.", len, "en")], limit=100, count=len)
    >>> [post.text for post in composed.posts]
    ['Trams Return 1/2', 'More soon. 2/2']
    """

    def composed(blocks: Sequence[Block]) -> Thread:
        return compose(blocks, limit, count, numbering, posted)

    if disclosure is None:
        return composed([root(""), *replies])
    if disclosure.mode == "root":
        return composed([root(disclosure.inline), *replies])
    plain = root("")
    if disclosure.mode == "auto" and len(composed([plain, *replies]).posts) <= 1:
        return composed([root(disclosure.inline), *replies])
    return composed([plain, *replies, disclosure.post])


@dataclass(frozen=True)
class StoryPost:
    """What `story_thread` asks of a channel's post about one story.

    `root` says whether the post starts the thread; the root's `fields` hold its
    `disclosure` ("" when the disclosure goes elsewhere) and, in a digest, the digest's
    `title`, while a digest's other stories get none; `extra` (a story's picture) travels
    with the root alone.

    >>> from publisher.testing import make_story
    >>> post = StoryPost(make_story(), root=True, fields={"disclosure": ""})
    >>> (post.story.id, post.root, post.extra)
    ('sample-story', True, {})
    """

    story: Story
    root: bool
    fields: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


def story_thread(
    edition: Edition,
    destination: Destination[SocialSettings],
    story_post: Callable[[StoryPost], Block],
    *,
    limit: int,
    count: Counter,
    posted: Collection[str] = frozenset(),
    picture: Mapping[str, Any] | None = None,
    summary_replies: bool = False,
) -> Thread:
    """An edition's composed thread, the same for every social channel; only the posts about
    each story (`story_post`: fields, what may be cut, the limit's `count`) are a channel's.

    A story: its root post, then (with `summary_replies`, for a channel whose root does not
    carry the summary) the summary as replies, then with `thread = "faq"` one reply per FAQ
    entry. A digest: the lead story's root post with the digest's title, then one post per
    other story (none with `thread = "none"`). The disclosure goes where the destination
    says (`thread`), posts repeating `posted` are marked (`compose`), and a thread longer
    than `max_posts` is refused before it is composed (`check_thread_size`).

    >>> import tempfile
    >>> from pathlib import Path
    >>> from publisher import Channel, single
    >>> from publisher.testing import make_destination, make_story
    >>> class Board(Channel[SocialSettings]):
    ...     settings_model = SocialSettings
    >>> board = make_destination(Board, {"channel": "board"}, Path(tempfile.mkdtemp()))
    >>> def story_post(post: StoryPost) -> Block:
    ...     return text_block(post.story.headline, len, post.story.language)
    >>> story = make_story(headline="Trams Return", summary="From Monday.")
    >>> composed = story_thread(single(story), board, story_post, limit=100, count=len,
    ...                         summary_replies=True)
    >>> [post.text for post in composed.posts]
    ['Trams Return 1/2', 'From Monday. 2/2']
    """
    check_thread_size(edition, destination, limit, count)
    settings, lead = destination.settings, edition.lead
    replies: list[Block] = []
    more: dict[str, str] = {}
    if edition.kind == "story":
        if summary_replies and settings.thread != "none":
            replies.append(text_block(lead.summary, count, lead.language))
        if settings.thread == "faq":
            replies += faq_blocks(lead, destination.templates, destination.channel, count)
    else:  # a digest: the title and lead story first, then one reply per other story
        more["title"] = digest_title(settings.digest_title, destination.site.name, edition.end)
        if settings.thread != "none":
            replies = [story_post(StoryPost(story, root=False)) for story in edition.stories[1:]]

    def root(disclosure: str) -> Block:
        fields = {**more, "disclosure": disclosure}
        return story_post(StoryPost(lead, root=True, fields=fields, extra=dict(picture or {})))

    return thread(
        root,
        replies,
        limit=limit,
        count=count,
        numbering=settings.numbering,
        disclosure=disclosure_for(edition, destination, count),
        posted=posted,
    )


def summary_post(
    render: Callable[[Mapping[str, str]], str], count: Counter, thread_mode: ThreadMode
) -> Callable[[StoryPost], Block]:
    r"""The post Mastodon and Bluesky make of a story, for `story_thread`: `render` (the
    channel's `post.txt`) given `headline`, `summary`, `url`, `hashtags` and the root's
    fields. The hashtags go first when the post is too long, then the summary, and the
    headline only when no summary is left; a story's root carries the summary on into
    replies unless the thread is "none". A root says the story's summary (its dek when it
    has none), a digest's other stories their dek (else their summary).

    >>> from publisher.testing import make_story
    >>> def post(fields):
    ...     return "\n".join(fields[name] for name in ("headline", "summary", "url"))
    >>> make = summary_post(post, len, "summary")
    >>> story = make_story(headline="Trams Return", summary="From Monday.", url="https://t.example")
    >>> make(StoryPost(story, root=True, fields={"disclosure": ""})).posts(300)
    ('Trams Return\nFrom Monday.\nhttps://t.example',)
    >>> make(StoryPost(story, root=True, fields={"disclosure": ""})).posts(40)
    ('Trams Return\nFrom…\nhttps://t.example', 'Monday.')
    """
    carry = "summary" if thread_mode != "none" else None

    def story_post(post: StoryPost) -> Block:
        story = post.story
        summary = (story.summary or story.dek) if post.root else (story.dek or story.summary)
        fields = {"headline": story.headline, "summary": summary, "url": story.url}
        # Hashtags go first, then the summary, and the headline only when no summary is left.
        cuttable = ["summary", "headline", *(name for name in post.fields if name != "disclosure")]
        return post_block(
            render,
            {**fields, **post.fields, "hashtags": hashtags(story.tags)},
            count,
            story.language,
            droppable=["hashtags"],
            cuttable=cuttable,
            carry=carry if "title" not in post.fields else None,
            extra=post.extra,
        )

    return story_post


def with_disclosure(
    render: Callable[[Mapping[str, str]], str],
) -> Callable[[Mapping[str, str]], str]:
    r"""A root template that always says its `disclosure`: after the rest, when a user's
    own template leaves it out.

    >>> post = with_disclosure(lambda fields: fields["headline"])  # a template without it
    >>> post({"headline": "Trams Return", "disclosure": "Written by an AI model."})
    'Trams Return\n\nWritten by an AI model.'
    """

    def rendered(fields: Mapping[str, str]) -> str:
        text = render(fields)
        disclosure = fields.get("disclosure", "")
        return f"{text}\n\n{disclosure}" if disclosure and disclosure not in text else text

    return rendered


# How long a thread may be -----------------------------------------------------------------------


def check_max_posts(
    edition: Edition, destination: Destination[SocialSettings], posts: int, *, least: bool = False
) -> None:
    """Refuse a thread of more posts than the destination's `max_posts`, as bad input (exit 2)
    before anything is sent: a story a few words too long for one post is fine, one that
    would go out as thousands of posts (and, on X, cost dollars) is not. `least` says
    `posts` is a lower bound (`check_thread_size`). The core checks every social rendition.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from publisher import Channel, single
    >>> from publisher.testing import make_destination, make_story
    >>> class Board(Channel[SocialSettings]):
    ...     settings_model = SocialSettings
    >>> settings = {"channel": "board", "max_posts": 3}
    >>> board = make_destination(Board, settings, Path(tempfile.mkdtemp()))
    >>> check_max_posts(single(make_story(id="trams")), board, 4)
    Traceback (most recent call last):
    publisher.errors.InputError: story 'trams' to test: the thread has 4 posts, more than ...
    """
    most = destination.settings.max_posts
    if posts <= most:
        return
    what = f"story '{edition.lead.id}'" if edition.kind == "story" else f"digest '{edition.id}'"
    count = f"needs at least {posts:,}" if least else f"has {posts:,}"
    raise InputError(
        f"{what} to {destination.name}: the thread {count} posts, more than the {most} that "
        "max_posts allows: shorten the story's summary or FAQ, choose a shorter thread "
        f'("summary" or "none"), or raise max_posts in [destinations.{destination.name}]'
    )


def check_thread_size(
    edition: Edition, destination: Destination[SocialSettings], room: int, count: Counter
) -> None:
    """Refuse before composing a story's thread that clearly needs more than `max_posts`:
    the texts the thread carries (the summary; with `thread = "faq"` each FAQ entry) need
    at least their count over the room of a post each (a cut saves one space at most), so
    a summary of a megabyte is refused at once instead of composed into thousands of posts.

    Example, first thing in a render::

        check_thread_size(edition, destination, LIMIT, count)
    """
    story, settings = edition.lead, destination.settings
    if edition.kind != "story" or settings.thread == "none":
        return
    texts = [story.summary or story.dek]
    if settings.thread == "faq":
        texts += [f"{entry.question}\n{entry.answer}" for entry in story.faq]
    least = sum(-(-count(text) // (room + 1)) for text in texts if text)
    check_max_posts(edition, destination, least, least=True)


# The story's own words, the ledger's memory, and parts ------------------------------------------


def written_posts(
    story: Story, channel: str, room: int, count: Counter, destination: str = ""
) -> list[str] | None:
    """The story's hand-written posts for `channel` (its `posts`), or None when it has none.

    They go out as written; one that does not fit `room` is bad input, named (with the
    `destination` it would go to, when given).

    >>> from publisher.testing import make_story
    >>> story = make_story(posts={"x": ["Trams are back!", "Details at ten."]})
    >>> written_posts(story, "x", 280, len), written_posts(story, "mastodon", 500, len)
    (['Trams are back!', 'Details at ten.'], None)
    """
    posts = story.posts.get(channel)
    if not posts:
        return None
    to = f" to {destination}" if destination else ""
    for number, text in enumerate(posts, start=1):
        length = count(text)
        if length > room:
            shown = text if len(text) <= 60 else text[:59] + "…"
            raise InputError(
                f"story '{story.id}': posts.{channel}, post {number} is {length} characters "
                f"long as {channel} counts, more than the {room} a post{to} may have: {shown!r}"
            )
    return list(posts)


def written_thread(
    edition: Edition,
    destination: Destination[SocialSettings],
    room: int,
    count: Counter,
    *,
    extra: Mapping[str, Any] | None = None,
    posted: Collection[str] = frozenset(),
) -> Thread | None:
    """The story's hand-written posts for the destination's channel as a thread, or None
    (no such posts, or a digest, which composes its own).

    The editor's posts go out as written, never numbered or changed; one that does not fit
    `room` is bad input (`written_posts`). A generated story's disclosure follows them as a
    post of its own, fitted to `room`, unless the destination's `disclosure` is "none":
    "root" cannot change the editor's root post, so it closes the thread as "last" does.
    `extra` travels with the first post (a picture); repeats of `posted` are in `repeats`.

    Example, in a render (a story with `posts: {x: [...]}`, generated)::

        found = written_thread(edition, destination, 280, count, extra=picture, posted=posted)
        if found is None:  # no hand-written posts for this channel: compose the thread
            found = thread(root, replies, limit=280, count=count, ...)
        parts = chain(found.posts, 280, count)
    """
    story = edition.lead
    channel = destination.channel
    written = written_posts(story, channel, room, count, destination.name)
    if edition.kind != "story" or written is None:
        return None
    posts = tuple(
        Post(text, story.language, dict(extra or {}) if number == 0 else {})
        for number, text in enumerate(written)
    )
    found = repeats(written, posted)
    disclosure = disclosure_for(edition, destination, count)
    if disclosure is None:
        return Thread(posts, found)
    seen = frozenset(posted) | {text_hash(text) for text in written}
    closing = compose([disclosure.post], room, count, "none", seen)
    more = tuple(len(posts) + number for number in closing.repeats)
    return Thread((*posts, *closing.posts), found + more)


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


def chain(
    posts: Sequence[str | Post],
    limit: int,
    count: Counter,
    root: Mapping[str, Any] | None = None,
    reply: Mapping[str, Any] | None = None,
) -> tuple[Part, ...]:
    """Parts for a thread: the first post is the root, each next one replies to the one before.

    A `Post` adds its `language` and its `extra` to the part's extra.

    >>> root, reply = chain([Post("Trams return.", "en"), "More soon."], 300, len)
    >>> (root.reply_to, reply.reply_to, reply.length, root.extra)
    (None, 0, 10, {'language': 'en'})
    """
    parts = []
    for number, post in enumerate(posts):
        extra = dict((root if number == 0 else reply) or {})
        if isinstance(post, Post):
            extra.update({"language": post.language, **post.extra})
        text = post.text if isinstance(post, Post) else post
        parts.append(
            Part(
                text=text,
                length=count(text),
                limit=limit,
                reply_to=None if number == 0 else number - 1,
                extra=extra,
            )
        )
    return tuple(parts)


# Pictures ------------------------------------------------------------------------------------


class PictureUnavailable(Exception):
    """A story's picture could not be fetched, or is not one the platform takes.

    Example, at delivery::

        try:
            picture = fetch_picture(part.extra["image"], {"image/jpeg": 1_000_000}, 10)
        except PictureUnavailable as error:
            warning = str(error)  # the post goes without it; Sent(..., warning=warning)
    """


@dataclass(frozen=True)
class Picture:
    r"""A fetched picture, checked: its bytes, what they are, and the alt text to post.

    >>> Picture(b"\x89PNG...", "image/png", "A tram on the bridge").mime_type
    'image/png'
    """

    data: bytes
    mime_type: str
    alt: str


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def picture_extra(story: Story) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What a root post's part carries about the story's picture, and any warning.

    A picture without alt text is left out, with a warning: a post must not show
    readers of screen readers an image they cannot know.

    >>> from publisher.testing import make_story
    >>> story = make_story(image={"url": "https://n.example/t.jpg", "alt": "A tram"})
    >>> picture_extra(story)
    ({'image': {'url': 'https://n.example/t.jpg', 'alt': 'A tram'}}, ())
    >>> picture_extra(make_story(image={"url": "https://n.example/t.jpg", "alt": ""}))[1]
    ("the image of 'sample-story' has no alt text, so it is not attached: ...",)
    """
    if story.image is None:
        return {}, ()
    if not story.image.alt:
        return {}, (
            f"the image of '{story.id}' has no alt text, so it is not attached: "
            "add image.alt to the story",
        )
    return {"image": {"url": story.image.url, "alt": story.image.alt}}, ()


def fetch_picture(image: Mapping[str, str], limits: Mapping[str, int], timeout: float) -> Picture:
    """Fetch a part's `image` ({url, alt}) at delivery and check it against a platform's
    `limits` (MIME type -> most bytes), by what the file is rather than what it is called.

    Raises `PictureUnavailable` saying why; the post then goes out without it.

    Example, at delivery (`PictureUnavailable` shows what to do when it fails)::

        picture = fetch_picture(part.extra["image"], {"image/png": 1_000_000}, timeout=10)
        upload(picture.data, picture.mime_type, alt=picture.alt)
    """
    url = image["url"]
    request = urllib.request.Request(url, headers={"User-Agent": "Publisher"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max(limits.values()) + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise PictureUnavailable(f"the image {url} could not be fetched ({reason})") from None
    mime_type = _sniff(data)
    if mime_type is None or mime_type not in limits:
        what = mime_type or "not an image this channel knows"
        takes = ", ".join(sorted(limits))
        raise PictureUnavailable(f"the image {url} is {what}; the platform takes {takes}")
    if len(data) > limits[mime_type]:
        most = limits[mime_type] / 1_000_000
        raise PictureUnavailable(f"the image {url} is larger than the {most:g} MB allowed")
    return Picture(data, mime_type, image.get("alt", ""))


def _sniff(data: bytes) -> str | None:
    for signature, mime_type in _SIGNATURES:
        if data.startswith(signature):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "image/avif"
    return None
