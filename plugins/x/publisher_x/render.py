"""A root post with headline, link and the dek where it fits, then a thread. Pure: no network.

The thread is composed by `publisher.social`: balanced replies, thread-wide numbering,
the disclosure of a generated story, and no text the account already posted.
"""

from __future__ import annotations

from publisher import Destination, Edition, Rendition, Story
from publisher.social import (
    Block,
    Thread,
    already_posted,
    chain,
    check_thread_size,
    digest_title,
    disclosure_for,
    faq_blocks,
    picture_extra,
    post_block,
    post_template,
    text_block,
    thread,
    with_disclosure,
    written_thread,
)
from publisher_x.cost import over_budget, thread_cost
from publisher_x.counting import weighted_length
from publisher_x.settings import XSettings

LIMIT = 280
__all__ = ["LIMIT", "render", "weighted_length"]


def render(edition: Edition, destination: Destination[XSettings]) -> Rendition:
    settings = destination.settings
    posted = already_posted(destination, edition)
    picture, warnings = picture_extra(edition.lead)
    found = written_thread(
        edition, destination, LIMIT, weighted_length, extra=picture, posted=posted
    ) or _composed(edition, destination, picture, posted)
    parts = chain(found.posts, LIMIT, weighted_length)
    cost = thread_cost(parts, settings.prices)
    refusal = over_budget(cost, settings.max_cost, destination.name)
    warnings += found.warnings(destination.name) + ((refusal,) if refusal else ())
    return Rendition(parts, warnings, cost)


def _composed(
    edition: Edition, destination: Destination[XSettings], picture: dict, posted: frozenset[str]
) -> Thread:
    check_thread_size(edition, destination, LIMIT, weighted_length)
    settings = destination.settings
    post = with_disclosure(post_template(destination.templates, "x/post.txt"))

    def story_post(story: Story, extra: dict | None = None, **more: str) -> Block:
        fields = {"headline": story.headline, "dek": story.dek, "url": story.url, **more}
        cuttable = ["dek", "headline", *(name for name in more if name != "disclosure")]
        return post_block(
            post, fields, weighted_length, story.language, cuttable=cuttable, extra=extra
        )

    lead = edition.lead
    replies: list[Block] = []
    if edition.kind == "story":
        if settings.thread != "none":
            replies.append(text_block(lead.summary, weighted_length, lead.language))
        if settings.thread == "faq":
            replies += faq_blocks(lead, destination.templates, "x", weighted_length)

        def root(disclosure: str) -> Block:
            return story_post(lead, picture, disclosure=disclosure)

    else:  # a digest: the title and lead story first, then one reply per other story
        title = digest_title(settings.digest_title, destination.site.name, edition.end)
        if settings.thread != "none":
            replies = [story_post(story) for story in edition.stories[1:]]

        def root(disclosure: str) -> Block:
            return story_post(lead, picture, title=title, disclosure=disclosure)

    return thread(
        root,
        replies,
        limit=LIMIT,
        count=weighted_length,
        numbering=settings.numbering,
        disclosure=disclosure_for(edition, destination, weighted_length),
        posted=posted,
    )
