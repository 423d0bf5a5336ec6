"""A root post with headline, link and the dek where it fits, then a thread. Pure: no network."""

from __future__ import annotations

from twitter_text import parse_tweet

from publisher import Destination, Edition, Rendition, Story
from publisher.social import chain, digest_title, post_template, thread_posts
from publisher.text import fit
from publisher_x.settings import XSettings

LIMIT = 280


def weighted_length(text: str) -> int:
    """X's own count (twitter-text): URLs 23, CJK and emoji 2, most Latin 1."""
    return parse_tweet(text).weightedLength


def render(edition: Edition, destination: Destination) -> Rendition:
    settings: XSettings = destination.settings
    post = post_template(destination.templates, "x/post.txt")

    def story_post(story: Story, **more: str) -> str:
        fields = {"headline": story.headline, "dek": story.dek, "url": story.url, **more}
        cuttable = ["dek", "headline", *more]
        return fit(post, fields, LIMIT, weighted_length, cuttable=cuttable).text

    if edition.kind == "story":
        story = edition.lead
        replies = thread_posts(settings.thread, story.summary, story.faq, LIMIT, weighted_length)
        return Rendition(chain([story_post(story), *replies], LIMIT, weighted_length))
    # A digest: the title and lead story first, then one reply per other story.
    lead, *others = edition.stories
    title = digest_title(settings.digest_title, destination.site.name, edition.end)
    posts = [story_post(lead, title=title)]
    if settings.thread != "none":
        posts += [story_post(story) for story in others]
    return Rendition(chain(posts, LIMIT, weighted_length))
