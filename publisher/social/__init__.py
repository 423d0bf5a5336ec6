"""Posts and threads: the shape Mastodon, X, Bluesky and their kind share.

A channel decides what its posts say and how it counts; this package turns
that into a thread the same way for all of them, so no channel writes its own:

- a thread is made of `Block`s (a root post and what it could not hold, the
  summary, each FAQ entry, the disclosure), each built for the room a post has
  once the thread's numbering ("3/9", root included) is added;
- `compose` numbers the thread, and gives any post that would repeat another
  one, or one the destination already made (`already_posted`), a mark of its
  own so that no platform refuses it as a duplicate;
- `thread` adds the disclosure a generated story carries, in the root post or
  as the thread's last post, as the destination chooses;
- `chain` turns the posts into `Part`s that reply each to the one before;
- `story_thread` does it all for a story or a digest, asking the channel only
  for its post about one story (a `StoryPost` made a `Block`).

A channel's render, in short (the parts every channel shares are `story_thread`'s;
this is the X channel's, whose root post says headline, dek and link):

    post = with_disclosure(post_template(destination.templates, "x/post.txt"))

    def story_post(wanted: StoryPost) -> Block:
        story = wanted.story
        fields = {"headline": story.headline, "dek": story.dek, "url": story.url}
        more = [name for name in wanted.fields if name != "disclosure"]  # a digest's title
        return post_block(post, {**fields, **wanted.fields}, count, story.language,
                          cuttable=["dek", "headline", *more], extra=wanted.extra)

    composed = story_thread(edition, destination, story_post, limit=280, count=count,
                            posted=already_posted(destination, edition),
                            picture=picture, summary_replies=True)
    parts = chain(composed.posts, 280, count)
"""

from publisher.social.blocks import (
    Block,
    Post,
    faq_blocks,
    hashtag,
    hashtags,
    post_block,
    post_template,
    shared_template,
    text_block,
)
from publisher.social.composer import Thread, already_posted, compose, repeats
from publisher.social.disclosure import (
    Disclosure,
    disclosure_for,
    story_disclosure,
    with_disclosure,
)
from publisher.social.pictures import Picture, PictureUnavailable, fetch_picture, picture_extra
from publisher.social.settings import (
    DigestTitle,
    DisclosureMode,
    Numbering,
    SocialSettings,
    ThreadMode,
    digest_title,
)
from publisher.social.sizes import check_max_posts, check_thread_size
from publisher.social.threads import StoryPost, chain, story_thread, summary_post, thread
from publisher.social.written import written_posts, written_thread

__all__ = [
    "Block",
    "DigestTitle",
    "Disclosure",
    "DisclosureMode",
    "Numbering",
    "Picture",
    "PictureUnavailable",
    "Post",
    "SocialSettings",
    "StoryPost",
    "Thread",
    "ThreadMode",
    "already_posted",
    "chain",
    "check_max_posts",
    "check_thread_size",
    "compose",
    "digest_title",
    "disclosure_for",
    "faq_blocks",
    "fetch_picture",
    "hashtag",
    "hashtags",
    "picture_extra",
    "post_block",
    "post_template",
    "repeats",
    "shared_template",
    "story_disclosure",
    "story_thread",
    "summary_post",
    "text_block",
    "thread",
    "with_disclosure",
    "written_posts",
    "written_thread",
]
