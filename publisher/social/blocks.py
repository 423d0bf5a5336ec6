"""Blocks, what a thread is made of: posts built for the room a post has, from a text,
a template's fields or a story's FAQ; and the templates and hashtags they are written with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from publisher.story import Story
from publisher.templates import Templates
from publisher.text import Counter, balanced, fit, marked

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


_NOT_WORD = regex.compile(r"[^\p{L}\p{N}_]+")


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
    The line reopens on Monday…
    <BLANKLINE>
    https://n.example/t
    >>> reply
    'forty years after it closed.'
    """

    def build(room: int) -> list[str]:
        fitted = fit(render, fields, room, count, droppable, cuttable)
        rest = fitted.rest.get(carry, "") if carry else ""
        if not carry or not rest:
            return [fitted.text]
        whole = fields[carry].strip()
        kept = whole[: len(whole) - len(rest)].rstrip()
        narrower = [name for name in cuttable if name != carry]
        # Room for the kept head, else for one less: balanced may end the head elsewhere,
        # where its mark needs a space more than the cut's did (" …" after a sentence).
        for slack in (0, 1):
            head, *more = balanced(whole, room, count, first=max(count(kept) - slack, 0))
            if not head:
                continue
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
