"""How long a thread may be: `max_posts`, checked on the rendition, and before composing
a story whose texts clearly need more.
"""

from __future__ import annotations

from publisher.channel import Destination
from publisher.edition import Edition
from publisher.errors import InputError
from publisher.social.settings import SocialSettings
from publisher.text import Counter


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
