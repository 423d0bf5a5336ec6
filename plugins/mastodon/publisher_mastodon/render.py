"""A root post with headline, summary, link and hashtags, then a thread. Pure: no network."""

from __future__ import annotations

from publisher import ConfigError, Destination, Edition, Rendition, Story
from publisher.social import chain, digest_title, hashtags, post_template, thread_posts
from publisher.text import Fitted, fit
from publisher_mastodon import limits as instance_limits
from publisher_mastodon.limits import Limits
from publisher_mastodon.settings import MastodonSettings


def render(edition: Edition, destination: Destination) -> Rendition:
    """Every part's text fits what the content warning leaves of the limit; each part's
    `length` is the whole status as Mastodon counts it, warning and text together."""
    settings: MastodonSettings = destination.settings
    limits = instance_limits.for_render(destination)
    room, count = _room(limits, destination), limits.count
    post = post_template(destination.templates, "mastodon/post.txt")

    def story_post(story: Story, summary: str, tags: str = "", **more: str) -> Fitted:
        fields = {"headline": story.headline, "summary": summary, "url": story.url, **more}
        # Hashtags go first, then the summary, and the headline only when no summary is left.
        cuttable = ["summary", "headline", *more]
        return fit(post, {**fields, "hashtags": tags}, room, count, ["hashtags"], cuttable)

    if edition.kind == "story":
        story = edition.lead
        root = story_post(story, story.summary or story.dek, tags=hashtags(story.tags))
        rest = root.rest.get("summary", "")
        posts = [root.text, *thread_posts(settings.thread, rest, story.faq, room, count)]
    else:  # a digest: the title and lead story first, then one reply per other story
        lead, *others = edition.stories
        title = digest_title(settings.digest_title, destination.site.name, edition.end)
        tags = hashtags(tag for story in edition.stories for tag in story.tags)
        posts = [story_post(lead, lead.summary or lead.dek, tags, title=title).text]
        if settings.thread != "none":
            posts += [story_post(story, story.dek or story.summary).text for story in others]

    root = {"visibility": settings.visibility, "language": edition.lead.language}
    if settings.spoiler_text:
        root["spoiler_text"] = settings.spoiler_text
    reply = {**root, "visibility": settings.reply_visibility}

    def status_length(text: str) -> int:
        return limits.status_length(text, settings.spoiler_text)

    return Rendition(chain(posts, limits.max_characters, status_length, root, reply))


def _room(limits: Limits, destination: Destination) -> int:
    """The limit less the content warning; a warning that leaves no room stops the run here,
    before anything is sent, as bad configuration."""
    try:
        return limits.room(destination.settings.spoiler_text)
    except ValueError as error:
        raise ConfigError(f"destinations.{destination.name}.spoiler_text: {error}") from None
