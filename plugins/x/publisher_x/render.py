"""A root post with headline, link and the dek where it fits, then a thread. Pure: no network.

The thread is composed by `publisher.social`: balanced replies, thread-wide numbering,
the disclosure of a generated story, and no text the account already posted.
"""

from __future__ import annotations

from publisher import Destination, Edition, Rendition
from publisher.social import (
    Block,
    StoryPost,
    Thread,
    already_posted,
    chain,
    picture_extra,
    post_block,
    post_template,
    story_thread,
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
    """The root says headline, dek and link; the summary follows as replies of its own."""
    post = with_disclosure(post_template(destination.templates, "x/post.txt"))

    def story_post(wanted: StoryPost) -> Block:
        story = wanted.story
        fields = {"headline": story.headline, "dek": story.dek, "url": story.url}
        cuttable = ["dek", "headline", *(name for name in wanted.fields if name != "disclosure")]
        return post_block(
            post,
            {**fields, **wanted.fields},
            weighted_length,
            story.language,
            cuttable=cuttable,
            extra=wanted.extra,
        )

    return story_thread(
        edition,
        destination,
        story_post,
        limit=LIMIT,
        count=weighted_length,
        posted=posted,
        picture=picture,
        summary_replies=True,
    )
