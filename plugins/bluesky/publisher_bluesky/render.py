"""A root post with headline, summary, link and hashtags, then a thread. Pure: no network.

Posts are composed with full URLs and counted as Bluesky will show them
(`richtext.count`); each part is then turned into the text as posted, links
shortened, with its facets. The first post that carries a story's link also
carries that story's link card, and every post its story's language.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from publisher import Destination, Edition, Part, Rendition, Story
from publisher.social import (
    Thread,
    already_posted,
    chain,
    post_template,
    story_thread,
    summary_post,
    with_disclosure,
    written_thread,
)
from publisher.text import URL_PATTERN
from publisher_bluesky.richtext import LIMIT, count, rich_text
from publisher_bluesky.settings import BlueskySettings


def render(edition: Edition, destination: Destination[BlueskySettings]) -> Rendition:
    """The thread as `publisher.social` composes it for every social channel (balanced
    replies, thread-wide numbering, the disclosure of a generated story, no post the account
    already made), counted as Bluesky shows it; then each post as posted, with its facets."""
    posted = already_posted(destination, edition)
    composed = written_thread(edition, destination, LIMIT, count, posted=posted) or _composed(
        edition, destination, posted
    )
    parts = chain(composed.posts, LIMIT, count)
    return Rendition(_as_posted(parts, edition), composed.warnings(destination.name))


def _composed(
    edition: Edition, destination: Destination[BlueskySettings], posted: frozenset[str]
) -> Thread:
    post = with_disclosure(post_template(destination.templates, "bluesky/post.txt"))
    story_post = summary_post(post, count, destination.settings.thread)
    return story_thread(edition, destination, story_post, limit=LIMIT, count=count, posted=posted)


def _as_posted(parts: tuple[Part, ...], edition: Edition) -> tuple[Part, ...]:
    by_url = {story.url: story for story in edition.stories}
    carded: set[str] = set()
    story = edition.lead
    posted = []
    for part in parts:
        language = part.extra.get("language", story.language)
        extra: dict[str, Any] = {"langs": [language]}
        for url in URL_PATTERN.findall(part.text):
            if url in by_url and url not in carded:
                story = by_url[url]
                carded.add(url)
                extra = {"langs": [language], "card": card(story)}
                break
        text, facets = rich_text(part.text)
        posted.append(replace(part, text=text, extra={**part.extra, **extra, "facets": facets}))
    return tuple(posted)


def card(story: Story) -> dict[str, str]:
    """The link card (an external embed) from the story's own fields; its image is fetched
    and uploaded when the post is delivered, never here."""
    external = {"uri": story.url, "title": story.headline, "description": story.dek}
    if story.image:
        external["image"] = story.image.url
    return external
