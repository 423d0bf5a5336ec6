"""The X channel: render, deliver, recover and check, through tweepy (API v2; media v1.1)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from publisher import (
    AuthenticationFailed,
    Channel,
    ConfigError,
    DeliveryContext,
    DeliveryError,
    Destination,
    Edition,
    Part,
    RateLimited,
    Rendition,
    Sent,
    TemporaryFailure,
)
from publisher_x.made import MadePosts
from publisher_x.settings import XSettings

# tweepy, twitter-text and what uses them load when a destination is rendered or sent to,
# not when the channel is registered (`publisher status` reads settings only).
if TYPE_CHECKING:
    import tweepy

log = logging.getLogger("publisher.channels.x")

# What X takes as a post's image: JPEG, PNG and WebP up to 5 MB, GIF up to 15 MB.
IMAGE_LIMITS = {
    "image/jpeg": 5_000_000,
    "image/png": 5_000_000,
    "image/webp": 5_000_000,
    "image/gif": 15_000_000,
}
ALT_TEXT_LIMIT = 1000  # characters X keeps of an image's description


class XChannel(Channel[XSettings]):
    """Posts and threads on one X account."""

    name = "x"
    settings_model = XSettings

    def __init__(self) -> None:
        self._client: tweepy.Client | None = None
        self._media: tweepy.API | None = None
        self._user_id: str | None = None
        self._refusal: str | None = None
        self._texts: list[str] = []

    def render(self, edition: Edition, destination: Destination[XSettings]) -> Rendition:
        from publisher_x.cost import over_budget
        from publisher_x.render import render

        rendition = render(edition, destination)
        self._texts = [_folded(part.text) for part in rendition.parts]  # to name a repeat
        # Kept for `preflight`, which the core calls on this instance before anything is sent.
        self._refusal = over_budget(rendition.cost, destination.settings.max_cost, destination.name)
        return rendition

    def preflight(self, destination: Destination[XSettings]) -> None:
        """Credentials set, and the thread within the destination's `max_cost`."""
        super().preflight(destination)
        if self._refusal is not None:
            raise ConfigError(self._refusal)

    def deliver(self, part: Part, context: DeliveryContext[XSettings]) -> Sent:
        from publisher_x.api import DuplicateContent, translated_errors

        client = self._connect(context.destination)
        reply_to = context.reply_to.id if context.reply_to else None
        media_ids, warning = self._picture(part, context)
        try:
            with translated_errors():
                response = client.create_tweet(
                    text=part.text, in_reply_to_tweet_id=reply_to, media_ids=media_ids
                )
        except DuplicateContent as error:
            # Our own earlier attempt may be the original, still missing from the timeline
            # when `recover` looked.
            found = self.recover(part, context) if context.in_flight else None
            if found is not None:
                return found
            raise DeliveryError(f"{error}; {self._duplicate(part, context)}") from error
        MADE.record(
            _account(context.destination.settings),
            _folded(part.text),
            f"part {context.number} to {context.destination.name}",
        )
        return _sent(str(response.data["id"]), warning)

    def _duplicate(self, part: Part, context: DeliveryContext[XSettings]) -> str:
        """What the post X refused as a duplicate repeats, and what to change."""
        change = "(in the story, or as a hand-written post under posts.x), then run again"
        text = _folded(part.text)
        before = self._texts[: context.number - 1]
        earlier = [number for number, other in enumerate(before, 1) if other == text]
        if earlier:
            return (
                f"part {context.number} has the same text as part {earlier[0]} of this same "
                f"thread, and X refuses the second: change one of them {change}"
            )
        shown = part.text if len(part.text) <= 80 else part.text[:79] + "…"
        made = MADE.find(_account(context.destination.settings), text)
        if made is not None:
            return (
                f"the post {shown!r} is identical to {made}, which this run posted on the same "
                f"X account: change this text {change}, or publish to one of them"
            )
        return (
            f"the post {shown!r} is identical to one already on the account, and this run "
            f"did not make it: delete that post on X, or change this text {change}"
        )

    def recover(self, part: Part, context: DeliveryContext[XSettings]) -> Sent | None:
        """X has no idempotency key: look for the part among the account's recent posts."""
        from publisher_x.lookup import find_post

        client = self._connect(context.destination)
        reply_to = context.reply_to.id if context.reply_to else None
        found = find_post(client, self._me(client), part.text, reply_to)
        return _sent(found) if found else None

    def check(self, destination: Destination[XSettings], *, dns: bool = False) -> str:
        """Who we post as. There are no DNS records of ours to look up for X, so
        `dns` changes nothing."""
        from publisher_x.api import translated_errors

        client = self._connect(destination)
        with translated_errors():
            me = client.get_me(user_auth=True).data
        return f"posting as @{me.username}"

    def close(self) -> None:
        for client in (self._client, self._media):
            if client is not None:
                client.session.close()

    def _picture(
        self, part: Part, context: DeliveryContext[XSettings]
    ) -> tuple[list[str] | None, str | None]:
        """The part's image uploaded with its alt text, fetched now (never at render); an image
        that cannot be fetched, or that X refuses, is left out with a warning."""
        from publisher.social import PictureUnavailable, fetch_picture
        from publisher_x.api import connect_media, translated_errors

        image: dict[str, Any] | None = part.extra.get("image")
        if not image:
            return None, None
        settings = context.destination.settings
        try:
            picture = fetch_picture(image, IMAGE_LIMITS, settings.timeout)
        except PictureUnavailable as error:
            return None, _left_out(context, str(error))
        if self._media is None:
            self._media = connect_media(settings)
        extension = picture.mime_type.removeprefix("image/")
        try:
            with translated_errors():
                media = self._media.simple_upload(
                    f"image.{extension}", file=io.BytesIO(picture.data)
                )
                self._media.create_media_metadata(
                    media.media_id_string, picture.alt[:ALT_TEXT_LIMIT]
                )
        except (RateLimited, AuthenticationFailed, TemporaryFailure):
            raise  # waited on, stopped at or retried, as for the post itself
        except DeliveryError as error:
            return None, _left_out(context, f"X refused the image {image['url']} ({error})")
        return [media.media_id_string], None

    def _connect(self, destination: Destination[XSettings]) -> tweepy.Client:
        from publisher_x.api import connect

        if self._client is None:
            self._client = connect(destination.settings)
        return self._client

    def _me(self, client: tweepy.Client) -> str:
        from publisher_x.api import translated_errors

        if self._user_id is None:
            with translated_errors():
                self._user_id = str(client.get_me(user_auth=True).data.id)
        return self._user_id


# The posts this process made, by account (bounded): X refuses one of them made again (say,
# by a second destination on the same account), and the error should say whose it is.
MADE = MadePosts()


def _account(settings: XSettings) -> str:
    """Which account `settings` post as: the API and the access token (never shown)."""
    return f"{settings.api_url}\x1f{settings.access_token.reveal()}"


def _folded(text: str) -> str:
    """A post's text with white space folded, as the ledger compares posts."""
    return " ".join(text.split())


def _left_out(context: DeliveryContext[XSettings], reason: str) -> str:
    warning = f"{reason}; part {context.number} was posted without it"
    log.warning("%s: %s", context.destination.name, warning)
    return warning


def _sent(tweet_id: str, warning: str | None = None) -> Sent:
    return Sent(tweet_id, f"https://x.com/i/web/status/{tweet_id}", warning)
