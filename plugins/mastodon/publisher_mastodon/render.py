"""A root post with headline, summary, link and hashtags, then a thread. Pure: no network.

The thread is composed by `publisher.social`: the summary the root cannot hold goes on
in balanced replies, then the FAQ, thread-wide numbering, the disclosure of a generated
story, and no text the account already posted.
"""

from __future__ import annotations

from publisher import ConfigError, Destination, Edition, Rendition, Story
from publisher.social import (
    Block,
    Thread,
    already_posted,
    chain,
    check_thread_size,
    digest_title,
    disclosure_for,
    faq_blocks,
    hashtags,
    picture_extra,
    post_block,
    post_template,
    thread,
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
    check_thread_size(edition, destination, room, count)
    settings = destination.settings
    post = with_disclosure(post_template(destination.templates, "mastodon/post.txt"))
    carry = "summary" if settings.thread != "none" else None

    def story_post(
        story: Story, summary: str, tags: str = "", extra: dict | None = None, **more: str
    ) -> Block:
        fields = {"headline": story.headline, "summary": summary, "url": story.url, **more}
        # Hashtags go first, then the summary, and the headline only when no summary is left.
        cuttable = ["summary", "headline", *(name for name in more if name != "disclosure")]
        return post_block(
            post,
            {**fields, "hashtags": tags},
            count,
            story.language,
            droppable=["hashtags"],
            cuttable=cuttable,
            carry=carry if "title" not in more else None,
            extra=extra,
        )

    lead = edition.lead
    replies: list[Block] = []
    if edition.kind == "story":
        if settings.thread == "faq":
            replies = faq_blocks(lead, destination.templates, "mastodon", count)

        def root(disclosure: str) -> Block:
            summary = lead.summary or lead.dek
            return story_post(lead, summary, hashtags(lead.tags), picture, disclosure=disclosure)

    else:  # a digest: the title and lead story first, then one reply per other story
        title = digest_title(settings.digest_title, destination.site.name, edition.end)
        # Each story's post carries its own story's hashtags, the root its lead's.
        if settings.thread != "none":
            replies = [
                story_post(story, story.dek or story.summary, hashtags(story.tags))
                for story in edition.stories[1:]
            ]

        def root(disclosure: str) -> Block:
            summary = lead.summary or lead.dek
            return story_post(
                lead, summary, hashtags(lead.tags), picture, title=title, disclosure=disclosure
            )

    return thread(
        root,
        replies,
        limit=room,
        count=count,
        numbering=settings.numbering,
        disclosure=disclosure_for(edition, destination, count),
        posted=posted,
    )


def _room(limits: Limits, destination: Destination[MastodonSettings]) -> int:
    """The limit less the content warning; a warning that leaves no room stops the run here,
    before anything is sent, as bad configuration."""
    try:
        return limits.room(destination.settings.spoiler_text)
    except ValueError as error:
        raise ConfigError(f"destinations.{destination.name}.spoiler_text: {error}") from None
