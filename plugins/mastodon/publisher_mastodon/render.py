"""A root post with headline, summary, link and hashtags, then a thread. Pure: no network.

The thread is composed by `publisher.social`: the summary the root cannot hold goes on
in balanced replies, then the FAQ, thread-wide numbering, the disclosure of a generated
story, and no text the account already posted.
"""

from __future__ import annotations

from publisher import ConfigError, Destination, Edition, Rendition
from publisher.social import (
    Thread,
    already_posted,
    chain,
    picture_extra,
    post_template,
    story_thread,
    summary_post,
    with_disclosure,
    written_thread,
)
from publisher.text import Counter
from publisher_mastodon import limits as instance_limits
from publisher_mastodon.limits import Limits
from publisher_mastodon.settings import MastodonSettings


def render(edition: Edition, destination: Destination[MastodonSettings]) -> Rendition:
    """Every part's text fits what the content warning leaves of the limit; each part's
    `length` is the whole status as Mastodon counts it, warning and text together."""
    settings = destination.settings
    limits = instance_limits.for_render(destination)
    room, count = _room(limits, destination), limits.count
    posted = already_posted(destination, edition)
    picture, warnings = picture_extra(edition.lead)
    found = written_thread(
        edition, destination, room, count, extra=picture, posted=posted
    ) or _composed(edition, destination, room, count, picture, posted)

    root: dict[str, str] = {"visibility": settings.visibility}
    if settings.spoiler_text:
        root["spoiler_text"] = settings.spoiler_text
    reply = {**root, "visibility": settings.reply_visibility}

    def status_length(text: str) -> int:
        return limits.status_length(text, settings.spoiler_text)

    parts = chain(found.posts, limits.max_characters, status_length, root, reply)
    return Rendition(parts, warnings + found.warnings(destination.name))


def _composed(
    edition: Edition,
    destination: Destination[MastodonSettings],
    room: int,
    count: Counter,
    picture: dict,
    posted: frozenset[str],
) -> Thread:
    post = with_disclosure(post_template(destination.templates, "mastodon/post.txt"))
    story_post = summary_post(post, count, destination.settings.thread)
    return story_thread(
        edition, destination, story_post, limit=room, count=count, posted=posted, picture=picture
    )


def _room(limits: Limits, destination: Destination[MastodonSettings]) -> int:
    """The limit less the content warning; a warning that leaves no room stops the run here,
    before anything is sent, as bad configuration."""
    try:
        return limits.room(destination.settings.spoiler_text)
    except ValueError as error:
        raise ConfigError(f"destinations.{destination.name}.spoiler_text: {error}") from None
