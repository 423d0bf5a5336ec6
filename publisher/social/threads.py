"""Threads: the disclosure put where the destination wants it (`thread`), a story's or a
digest's whole thread from a channel's post about one story (`story_thread`), and the
parts that reply each to the one before (`chain`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.channel import Destination, Part
from publisher.edition import Edition
from publisher.social.blocks import Block, Post, faq_blocks, hashtags, post_block, text_block
from publisher.social.composer import Thread, compose
from publisher.social.disclosure import Disclosure, disclosure_for
from publisher.social.settings import Numbering, SocialSettings, ThreadMode, digest_title
from publisher.social.sizes import check_thread_size
from publisher.story import Story
from publisher.text import Counter


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
