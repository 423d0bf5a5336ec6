"""The story's own words: hand-written posts for a channel, going out as written, closed by
a generated story's disclosure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from publisher.channel import Destination
from publisher.edition import Edition
from publisher.errors import InputError
from publisher.ledger import text_hash
from publisher.social.blocks import Post
from publisher.social.composer import Thread, compose, repeats
from publisher.social.disclosure import disclosure_for
from publisher.social.settings import SocialSettings
from publisher.story import Story
from publisher.text import Counter


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
