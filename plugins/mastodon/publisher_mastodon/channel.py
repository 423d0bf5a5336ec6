"""The Mastodon channel: a root post with headline, summary, link and hashtags, then a thread."""

from __future__ import annotations

from typing import Literal

import regex

from publisher import Channel, ChannelSettings, Destination, Edition, Rendition, Secret, Story
from publisher.social import ThreadMode, chain, hashtags, post_template, thread_posts
from publisher.story import Url
from publisher.text import Counter, Fitted, fit, graphemes, with_urls_as

DEFAULT_LIMIT = 500
DEFAULT_URL_WIDTH = 23
Visibility = Literal["public", "unlisted", "private", "direct"]

_REMOTE_MENTION = regex.compile(r"(@[\p{L}\p{N}_]+)@[\w.-]+\w")


class MastodonSettings(ChannelSettings):
    instance: Url
    access_token: Secret
    thread: ThreadMode = "faq"
    visibility: Visibility = "public"
    reply_visibility: Visibility = "unlisted"
    spoiler_text: str | None = None
    max_characters: int | None = None  # otherwise the instance's own limit
    characters_reserved_per_url: int | None = None
    digest_title: str = "{site}: the week to {date:%d %B %Y}"


def mastodon_counter(url_width: int) -> Counter:
    """Count as Mastodon does: graphemes, URLs at a fixed width, remote mentions without domain."""
    with_urls = with_urls_as(url_width, graphemes)
    return lambda text: with_urls(_REMOTE_MENTION.sub(r"\1", text))


class MastodonChannel(Channel):
    name = "mastodon"
    settings_model = MastodonSettings

    def render(self, edition: Edition, destination: Destination) -> Rendition:
        settings: MastodonSettings = destination.settings
        limit = settings.max_characters or DEFAULT_LIMIT
        count = mastodon_counter(settings.characters_reserved_per_url or DEFAULT_URL_WIDTH)
        post = post_template(destination.templates, "mastodon/post.txt")

        def story_post(story: Story, summary: str, **more: str) -> Fitted:
            fields = {"headline": story.headline, "summary": summary, "url": story.url, **more}
            cuttable = ["summary", "headline", *more.keys() - {"hashtags"}]
            return fit(post, fields, limit, count, droppable=["hashtags"], cuttable=cuttable)

        if edition.kind == "story":
            story = edition.lead
            root = story_post(story, story.summary or story.dek, hashtags=hashtags(story.tags))
            rest = root.rest.get("summary", "")
            posts = [root.text, *thread_posts(settings.thread, rest, story.faq, limit, count)]
        else:  # a digest: the title and lead story first, then one reply per other story
            lead, *others = edition.stories
            title = settings.digest_title.format(site=destination.site.name, date=edition.end)
            tags = hashtags(tag for story in edition.stories for tag in story.tags)
            posts = [story_post(lead, lead.summary or lead.dek, title=title, hashtags=tags).text]
            if settings.thread != "none":
                posts += [story_post(story, story.dek or story.summary).text for story in others]

        root = {"visibility": settings.visibility, "language": edition.lead.language}
        if settings.spoiler_text:
            root["spoiler_text"] = settings.spoiler_text
        reply = {**root, "visibility": settings.reply_visibility}
        return Rendition(chain(posts, limit, count, root, reply))
