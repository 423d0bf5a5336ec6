"""The X channel: a root post with headline, link and the dek where it fits, then a thread."""

from __future__ import annotations

from pydantic import Field
from twitter_text import parse_tweet

from publisher import Channel, ChannelSettings, Destination, Edition, Rendition, Secret
from publisher.social import ThreadMode, chain, post_template, thread_posts
from publisher.text import fit

LIMIT = 280


class XSettings(ChannelSettings):
    thread: ThreadMode = "summary"
    api_key: Secret = Field(default_factory=lambda: Secret.from_env("X_API_KEY"))
    api_secret: Secret = Field(default_factory=lambda: Secret.from_env("X_API_SECRET"))
    access_token: Secret = Field(default_factory=lambda: Secret.from_env("X_ACCESS_TOKEN"))
    access_token_secret: Secret = Field(
        default_factory=lambda: Secret.from_env("X_ACCESS_TOKEN_SECRET")
    )
    digest_title: str = "{site}: the week to {date:%d %B %Y}"


def weighted_length(text: str) -> int:
    """X's own count (twitter-text): URLs 23, CJK and emoji 2, most Latin 1."""
    return parse_tweet(text).weightedLength


class XChannel(Channel):
    name = "x"
    settings_model = XSettings

    def render(self, edition: Edition, destination: Destination) -> Rendition:
        settings: XSettings = destination.settings
        post = post_template(destination.templates, "x/post.txt")

        def story_post(story, **more: str) -> str:
            fields = {"headline": story.headline, "dek": story.dek, "url": story.url, **more}
            cuttable = ["dek", "headline", *more]
            return fit(post, fields, LIMIT, weighted_length, cuttable=cuttable).text

        if edition.kind == "story":
            story = edition.lead
            replies = thread_posts(
                settings.thread, story.summary, story.faq, LIMIT, weighted_length
            )
            return Rendition(chain([story_post(story), *replies], LIMIT, weighted_length))
        # A digest: the title and lead story first, then one reply per other story.
        lead, *others = edition.stories
        title = settings.digest_title.format(site=destination.site.name, date=edition.end)
        posts = [story_post(lead, title=title)]
        if settings.thread != "none":
            posts += [story_post(story) for story in others]
        return Rendition(chain(posts, LIMIT, weighted_length))
