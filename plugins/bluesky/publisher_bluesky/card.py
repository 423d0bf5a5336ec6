"""A post's link card (an external embed), its thumbnail fetched and uploaded as a blob.

The thumbnail is the story's image, fetched when the post is delivered
(render stays pure). An image that cannot be had, is not an image, or is
larger than Bluesky takes, leaves the card without a thumbnail and says so:
the post itself matters more than its picture.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from atproto import models

from publisher_bluesky.session import Account

log = logging.getLogger("publisher.channels.bluesky")
MAX_BYTES = 1_000_000  # the largest thumbnail app.bsky.embed.external accepts


class Unusable(Exception):
    """The story's image cannot be a thumbnail; the message says why."""


def embed(
    account: Account, card: dict[str, Any] | None, where: str
) -> models.AppBskyEmbedExternal.Main | None:
    if not card:
        return None
    thumb = None
    if card.get("image"):
        try:
            data, mime = fetch_image(card["image"], account.settings.timeout)
        except Unusable as error:
            log.warning("%s: the link card goes without its image: %s", where, error)
        else:
            upload = account.call(
                lambda client: client.com.atproto.repo.upload_blob(
                    data, headers={"Content-Type": mime}
                )
            )
            thumb = upload.blob
    external = models.AppBskyEmbedExternal.External(
        uri=card["uri"], title=card["title"], description=card["description"], thumb=thumb
    )
    return models.AppBskyEmbedExternal.Main(external=external)


def fetch_image(url: str, timeout: float) -> tuple[bytes, str]:
    """The image's bytes and type; read no further than the size limit allows."""
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise Unusable(f"{url} answered {response.status_code}")
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not mime.startswith("image/"):
                raise Unusable(f"{url} is not an image (Content-Type {mime or 'missing'})")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    raise Unusable(
                        f"{url} is larger than the {MAX_BYTES:,} bytes Bluesky takes "
                        "for a link card's image"
                    )
    except httpx.HTTPError as error:
        raise Unusable(f"{url} could not be fetched ({error!r})") from error
    return bytes(data), mime
