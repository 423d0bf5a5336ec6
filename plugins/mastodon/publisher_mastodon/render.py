"""A root post with headline, summary, link and hashtags, then a thread. Pure: no network."""

from __future__ import annotations

from publisher import Destination, Edition, Rendition, Story
from publisher.social import chain, hashtags, post_template, thread_posts
from publisher.text import Fitted, fit
from publisher_mastodon import limits as instance_limits
from publisher_mastodon.settings import MastodonSettings


def render(edition: Edition, destination: Destination) -> Rendition:
    settings: MastodonSettings = destination.settings
    limits = instance_limits.for_render(destination)
    limit, count = limits.max_characters, limits.count
    post = post_template(destination.templates, "mastodon/post.txt")

    def story_post(story: Story, summary: str, tags: str = "", **more: str) -> Fitted:
        fields = {"headline": story.headline, "summary": summary, "url": story.url, **more}
        # Hashtags go first, then the summary, and the headline only when no summary is left.
        cuttable = ["summary", "headline", *more]
        return fit(post, {**fields, "hashtags": tags}, limit, count, ["hashtags"], cuttable)

    if edition.kind == "story":
        story = edition.lead
        root = story_post(story, story.summary or story.dek, tags=hashtags(story.tags))
        rest = root.rest.get("summary", "")
        posts = [root.text, *thread_posts(settings.thread, rest, story.faq, limit, count)]
    else:  # a digest: the title and lead story first, then one reply per other story
        lead, *others = edition.stories
        title = settings.digest_title.format(site=destination.site.name, date=edition.end)
        tags = hashtags(tag for story in edition.stories for tag in story.tags)
        posts = [story_post(lead, lead.summary or lead.dek, tags, title=title).text]
        if settings.thread != "none":
            posts += [story_post(story, story.dek or story.summary).text for story in others]

    root = {"visibility": settings.visibility, "language": edition.lead.language}
    if settings.spoiler_text:
        root["spoiler_text"] = settings.spoiler_text
    reply = {**root, "visibility": settings.reply_visibility}
    return Rendition(chain(posts, limit, count, root, reply))
