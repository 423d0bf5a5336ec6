"""The Mastodon channel: render, deliver, recover and check, through Mastodon.py."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from publisher import (
    AuthenticationFailed,
    Channel,
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
from publisher_mastodon.settings import MastodonSettings

# Mastodon.py and what uses it load when a destination is rendered or sent to, not when the
# channel is registered (`publisher status` reads settings only).
if TYPE_CHECKING:
    from mastodon import Mastodon

    from publisher_mastodon.limits import Limits
    from publisher_mastodon.lookup import Found

log = logging.getLogger("publisher.channels.mastodon")
DESCRIPTION_LIMIT = 1500  # characters Mastodon keeps of a media description


class MastodonChannel(Channel[MastodonSettings]):
    """Statuses and threads on one Mastodon account.

    A part that may have gone out is looked for among the account's statuses
    first (`recover`), and when sent again carries the same Idempotency-Key.
    """

    name = "mastodon"
    settings_model = MastodonSettings

    def __init__(self) -> None:
        self._api: Mastodon | None = None
        self._instance: Mapping[str, Any] | None = None
        self._account_id: str | None = None

    def render(self, edition: Edition, destination: Destination[MastodonSettings]) -> Rendition:
        from publisher_mastodon.render import render

        return render(edition, destination)

    def deliver(self, part: Part, context: DeliveryContext[MastodonSettings]) -> Sent:
        from publisher_mastodon.posting import post_part

        destination = context.destination
        api, limits = self._connect(destination), self._limits(destination)
        media_id, warning = self._picture(api, part, context)
        sent = post_part(api, part, context, limits, [media_id] if media_id else None)
        return replace(sent, warning=warning) if warning else sent

    def recover(self, part: Part, context: DeliveryContext[MastodonSettings]) -> Sent | None:
        """Mastodon forgets an Idempotency-Key after about an hour, so a resumed part
        is looked for among the account's recent statuses before it is posted again."""
        from publisher_mastodon.lookup import find_part, recent_statuses

        destination = context.destination
        api = self._connect(destination)
        limits = self._limits(destination)
        length = limits.status_length(part.text, part.extra.get("spoiler_text"))
        found = find_part(
            recent_statuses(api, self._me(api)),
            part.text,
            context.reply_to.id if context.reply_to else None,
            in_pieces=length > limits.max_characters,
        )
        if found is None:
            return None
        if found.missing:
            _warn_cut_short(context, found)
        return found.sent

    def check(self, destination: Destination[MastodonSettings], *, dns: bool = False) -> str:
        """Who we post as. There are no DNS records of ours to look up for Mastodon, so
        `dns` changes nothing."""
        from publisher_mastodon.api import translated_errors

        api = self._connect(destination)
        with translated_errors(api):
            account = api.account_verify_credentials()
        limits = self._limits(destination)
        instance = self._instance or {}  # read by _limits
        domain = instance.get("domain") or urlsplit(destination.settings.instance).netloc
        handle = account["acct"] if "@" in account["acct"] else f"{account['acct']}@{domain}"
        return f"posting as @{handle}, up to {limits.max_characters} characters a post"

    def close(self) -> None:
        if self._api is not None:
            self._api.session.close()

    def _picture(
        self, api: Mastodon, part: Part, context: DeliveryContext[MastodonSettings]
    ) -> tuple[str | None, str | None]:
        """The part's image uploaded with its description, fetched now (never at render) and
        checked against the instance's limits; one that cannot be is left out, with a warning."""
        from publisher.social import PictureUnavailable, fetch_picture
        from publisher_mastodon import limits as instance_limits
        from publisher_mastodon.api import translated_errors

        image: dict[str, Any] | None = part.extra.get("image")
        if not image:
            return None, None
        settings = context.destination.settings
        try:
            picture = fetch_picture(
                image, instance_limits.image_limits(self._instance or {}), settings.timeout
            )
        except PictureUnavailable as error:
            return None, _left_out(context, str(error))
        try:
            with translated_errors(api):
                media = api.media_post(
                    picture.data,
                    mime_type=picture.mime_type,
                    description=picture.alt[:DESCRIPTION_LIMIT],
                    file_name=f"image.{picture.mime_type.removeprefix('image/')}",
                )
        except (RateLimited, AuthenticationFailed, TemporaryFailure):
            raise  # waited on, stopped at or retried, as for the status itself
        except DeliveryError as error:
            return None, _left_out(context, f"the instance refused the image ({error})")
        return str(media["id"]), None

    def _connect(self, destination: Destination[MastodonSettings]) -> Mastodon:
        from publisher_mastodon.api import connect

        if self._api is None:
            self._api = connect(destination.settings)
        return self._api

    def _me(self, api: Mastodon) -> str:
        from publisher_mastodon.api import translated_errors

        if self._account_id is None:
            with translated_errors(api):
                self._account_id = str(api.account_verify_credentials()["id"])
        return self._account_id

    def _limits(self, destination: Destination[MastodonSettings]) -> Limits:
        """The instance's limits, asked once a run and remembered for the next render."""
        from publisher_mastodon import limits as instance_limits
        from publisher_mastodon.api import instance_info

        if self._instance is None:
            self._instance = instance_info(self._connect(destination))
            if self._instance:
                instance_limits.remember(destination, instance_limits.from_instance(self._instance))
        return instance_limits.from_instance(self._instance)


def _left_out(context: DeliveryContext[MastodonSettings], reason: str) -> str:
    warning = f"{reason}; part {context.number} was posted without it"
    log.warning("%s: %s", context.destination.name, warning)
    return warning


def _warn_cut_short(context: DeliveryContext[MastodonSettings], found: Found) -> None:
    """A part posted in pieces whose run stopped between two of them: the thread goes on from the
    last piece that arrived, and the rest is left out rather than risk posting a piece twice."""
    log.warning(
        "%s: part %d was posted in pieces and the last run stopped before all of them went out; "
        "the thread goes on from the last piece that did, without the rest (from %r)",
        context.destination.name,
        context.number,
        found.missing[:60],
    )
