"""One part as a status chained to the part before, split once if the instance says it is too long.

Every request carries an Idempotency-Key that is the same on every attempt at
the part, and Mastodon answers a repeated key with the status it already
made: a retried part is never posted twice. Mastodon keeps a key for about an
hour, so a part resumed later is first looked for (`lookup`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mastodon import Mastodon

from publisher import DeliveryContext, DeliveryError, Part, PartlyDelivered, Sent
from publisher.text import balanced
from publisher_mastodon import limits as instance_limits
from publisher_mastodon.api import TextTooLong, translated_errors
from publisher_mastodon.limits import Limits

if TYPE_CHECKING:
    from publisher_mastodon.settings import MastodonSettings

log = logging.getLogger("publisher.channels.mastodon")


def post_part(
    api: Mastodon,
    part: Part,
    context: DeliveryContext[MastodonSettings],
    limits: Limits,
    media_ids: list[str] | None = None,
) -> Sent:
    """The part as one status (with `media_ids` attached), or in pieces if it must be."""
    try:
        return _post(
            api, part.text, context.reply_to, part.extra, context.idempotency_key, media_ids
        )
    except TextTooLong as error:
        # The instance's limit fell below the one the part was rendered for.
        reported = replace(limits, max_characters=error.limit)
        instance_limits.remember(context.destination, reported)
        return _post_in_pieces(api, part, context, reported, media_ids)


def _post(
    api: Mastodon,
    text: str,
    reply_to: Sent | None,
    extra: Mapping[str, Any],
    key: str,
    media_ids: list[str] | None = None,
) -> Sent:
    with translated_errors(api):
        status = api.status_post(
            text,
            in_reply_to_id=reply_to.id if reply_to else None,
            media_ids=media_ids,
            visibility=extra.get("visibility"),
            language=extra.get("language"),
            spoiler_text=extra.get("spoiler_text"),
            idempotency_key=key,
        )
    return Sent(str(status["id"]), status.get("url"))


def _post_in_pieces(
    api: Mastodon,
    part: Part,
    context: DeliveryContext[MastodonSettings],
    limits: Limits,
    media_ids: list[str] | None,
) -> Sent:
    """The part as several chained statuses, balanced; the last one's id continues the thread.

    Each piece has its own key derived from the part's, so a resumed run finds
    the pieces already posted. The part's URL is its first piece's, which
    carries the part's media.
    """
    where = f"part {context.number}"
    limit = limits.max_characters
    warning = part.extra.get("spoiler_text")
    try:
        # Every piece carries the content warning, which Mastodon counts with the text.
        pieces = balanced(part.text, limits.room(warning), limits.count)
    except ValueError as error:
        raise DeliveryError(f"{where} cannot be split for the instance's limit: {error}") from None
    if len(pieces) < 2:
        raise DeliveryError(
            f"the instance refused {where} as longer than its limit of {limit} characters, "
            f"though it is {limits.status_length(part.text, warning)} long as Mastodon counts "
            "(content warning included); "
            "check max_characters and characters_reserved_per_url in the configuration"
        )
    log.warning(
        "%s: %s is longer than the instance's limit of %d characters; posting it as %d statuses",
        context.destination.name,
        where,
        limit,
        len(pieces),
    )
    reply_visibility = context.destination.settings.reply_visibility
    posted: list[Sent] = []
    for number, piece in enumerate(pieces, start=1):
        extra = part.extra if number == 1 else {**part.extra, "visibility": reply_visibility}
        key, media = f"{context.idempotency_key}-{number}", media_ids if number == 1 else None
        reply_to = posted[-1] if posted else context.reply_to
        try:
            posted.append(_post(api, piece, reply_to, extra, key, media))
        except TextTooLong as error:
            said = (
                f"{where} is still too long after splitting it for the instance's limit of "
                f"{limit} characters: {error}"
            )
            if posted:  # those pieces are out: recorded as sent, never posted again
                said += f"; {len(posted)} of its {len(pieces)} statuses went out"
                raise PartlyDelivered(said, Sent(posted[-1].id, posted[0].url)) from error
            raise DeliveryError(said) from error
    return Sent(posted[-1].id, posted[0].url)
