"""How long a post may be on an instance, and how Mastodon counts it.

Render must not touch the network, so the limits the instance reported the
last time we delivered or checked are kept in the state database; render
reads them from there, and settings override both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import regex

from publisher import Destination
from publisher.text import Counter, graphemes, with_urls_as

if TYPE_CHECKING:
    from publisher_mastodon.settings import MastodonSettings

# "@name@domain"; Mastodon counts and shows it as "@name".
REMOTE_MENTION = regex.compile(r"(@[\p{L}\p{N}_]+)@[\w.-]+\w")


def mastodon_counter(url_width: int) -> Counter:
    """Count as Mastodon does: graphemes, URLs at a fixed width, remote mentions without domain."""
    with_urls = with_urls_as(url_width, graphemes)
    return lambda text: with_urls(REMOTE_MENTION.sub(r"\1", text))


def warning_length(spoiler_text: str | None) -> int:
    """A content warning as Mastodon counts it: stripped, in graphemes, a URL at full length."""
    return graphemes((spoiler_text or "").strip())


@dataclass(frozen=True)
class Limits:
    """An instance's `configuration.statuses`, with Mastodon's own defaults."""

    max_characters: int = 500
    characters_reserved_per_url: int = 23

    @property
    def count(self) -> Counter:
        """The count of a status's text alone; see `status_length` for the whole status."""
        return mastodon_counter(self.characters_reserved_per_url)

    def status_length(self, text: str, spoiler_text: str | None) -> int:
        """Mastodon counts the content warning and the text together against the limit."""
        return warning_length(spoiler_text) + self.count(text)

    def room(self, spoiler_text: str | None) -> int:
        """What the limit leaves for the text of a status that carries this content warning.

        Raises ValueError when that is less than a link takes: every root post has one.
        """
        warning = warning_length(spoiler_text)
        room = self.max_characters - warning
        if room < self.characters_reserved_per_url:
            raise ValueError(
                f"the content warning is {warning} characters long and "
                f"Mastodon counts it together with the text against the limit of "
                f"{self.max_characters}: that leaves {max(room, 0)} for the text, less than a link "
                f"alone takes ({self.characters_reserved_per_url}); shorten the content warning"
            )
        return room


DEFAULT = Limits()


def cache_key(destination: Destination[MastodonSettings]) -> str:
    return f"mastodon:limits:{destination.settings.instance.rstrip('/')}"


def from_instance(instance: Mapping[str, Any]) -> Limits:
    """The limits in an /api/v2/instance answer; Mastodon's defaults for what it leaves out."""
    statuses = (instance.get("configuration") or {}).get("statuses") or {}
    return Limits(
        statuses.get("max_characters") or DEFAULT.max_characters,
        statuses.get("characters_reserved_per_url") or DEFAULT.characters_reserved_per_url,
    )


def remember(destination: Destination[MastodonSettings], limits: Limits) -> None:
    destination.state.put(
        cache_key(destination),
        {
            "max_characters": limits.max_characters,
            "characters_reserved_per_url": limits.characters_reserved_per_url,
        },
    )


def for_render(destination: Destination[MastodonSettings]) -> Limits:
    """The configured limits, else those the instance reported last, else Mastodon's defaults."""
    settings = destination.settings
    cached = destination.state.get(cache_key(destination)) or {}
    return Limits(
        settings.max_characters or cached.get("max_characters") or DEFAULT.max_characters,
        settings.characters_reserved_per_url
        or cached.get("characters_reserved_per_url")
        or DEFAULT.characters_reserved_per_url,
    )


# Mastodon's defaults for images (4.x): these types, up to 16 MB.
DEFAULT_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DEFAULT_IMAGE_SIZE = 16 * 1024 * 1024


def image_limits(instance: Mapping[str, Any]) -> dict[str, int]:
    """The image types an instance takes, each with the most bytes it takes
    (`configuration.media_attachments` of /api/v2/instance; Mastodon's defaults otherwise)."""
    media = (instance.get("configuration") or {}).get("media_attachments") or {}
    types = [kind for kind in media.get("supported_mime_types") or () if kind.startswith("image/")]
    size = media.get("image_size_limit") or DEFAULT_IMAGE_SIZE
    return dict.fromkeys(types or DEFAULT_IMAGE_TYPES, size)
