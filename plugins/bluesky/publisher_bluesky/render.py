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
from publisher.social import chain, digest_title, hashtags, post_template, thread_posts
from publisher.text import URL_PATTERN, Fitted, fit
from publisher_bluesky.richtext import LIMIT, count, rich_text
from publisher_bluesky.settings import BlueskySettings


def render(edition: Edition, destination: Destination) -> Rendition:
    settings: BlueskySettings = destination.settings
    post = post_template(destination.templates, "bluesky/post.txt")

    def story_post(story: Story, summary: str, tags: str = "", **more: str) -> Fitted:
        fields = {"headline": story.headline, "summary": summary, "url": story.url, **more}
        # Hashtags go first, then the summary, and the headline only when no summary is left.
        cuttable = ["summary", "headline", *more]
        return fit(post, {**fields, "hashtags": tags}, LIMIT, count, ["hashtags"], cuttable)

    if edition.kind == "story":
        story = edition.lead
        root = story_post(story, story.summary or story.dek, tags=hashtags(story.tags))
        rest = root.rest.get("summary", "")
        posts = [root.text, *thread_posts(settings.thread, rest, story.faq, LIMIT, count)]
    else:  # a digest: the title and lead story first, then one reply per other story
        lead, *others = edition.stories
        title = digest_title(settings.digest_title, destination.site.name, edition.end)
        tags = hashtags(tag for story in edition.stories for tag in story.tags)
        posts = [story_post(lead, lead.summary or lead.dek, tags, title=title).text]
        if settings.thread != "none":
            posts += [story_post(story, story.dek or story.summary).text for story in others]
    return Rendition(_as_posted(chain(posts, LIMIT, count), edition))


def _as_posted(parts: tuple[Part, ...], edition: Edition) -> tuple[Part, ...]:
    by_url = {story.url: story for story in edition.stories}
    carded: set[str] = set()
    story = edition.lead
    posted = []
    for part in parts:
        extra: dict[str, Any] = {"langs": [story.language]}
        for url in URL_PATTERN.findall(part.text):
            if url in by_url and url not in carded:
                story = by_url[url]
                carded.add(url)
                extra = {"langs": [story.language], "card": card(story)}
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
