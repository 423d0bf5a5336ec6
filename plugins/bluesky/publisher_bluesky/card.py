"""A post's link card (an external embed), its thumbnail fetched and uploaded as a blob.

The thumbnail is the story's image, fetched when the post is delivered (render
stays pure) by `publisher.social.fetch_picture`, as every channel fetches a
story's picture: bounded reading, a timeout, and the type told by the bytes
rather than by what the server calls them. An image that cannot be had, is not
one Bluesky takes, or is larger than it takes, leaves the card without a
thumbnail and says so: the post itself matters more than its picture.
"""

from __future__ import annotations

import logging
from typing import Any

from atproto import models

from publisher.social import PictureUnavailable, fetch_picture
from publisher_bluesky.session import Account

log = logging.getLogger("publisher.channels.bluesky")
MAX_BYTES = 1_000_000  # the largest thumbnail app.bsky.embed.external accepts (any image/*)
THUMB_LIMITS = dict.fromkeys(
    ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"), MAX_BYTES
)


def embed(
    account: Account, card: dict[str, Any] | None, where: str
) -> models.AppBskyEmbedExternal.Main | None:
    if not card:
        return None
    thumb = None
    if card.get("image"):
        try:
            picture = fetch_picture({"url": card["image"]}, THUMB_LIMITS, account.settings.timeout)
        except PictureUnavailable as error:
            log.warning("%s: the link card goes without a thumbnail: %s", where, error)
        else:
            upload = account.call(
                lambda client: client.com.atproto.repo.upload_blob(
                    picture.data, headers={"Content-Type": picture.mime_type}
                )
            )
            thumb = upload.blob
    external = models.AppBskyEmbedExternal.External(
        uri=card["uri"], title=card["title"], description=card["description"], thumb=thumb
    )
    return models.AppBskyEmbedExternal.Main(external=external)
