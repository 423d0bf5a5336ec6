"""What a Mastodon destination is configured with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from publisher import Secret, Url
from publisher.social import SocialSettings, ThreadMode
from publisher_mastodon.limits import DEFAULT, Limits

Visibility = Literal["public", "unlisted", "private", "direct"]


class MastodonSettings(SocialSettings):
    instance: Url
    access_token: Secret
    thread: ThreadMode = "faq"
    visibility: Visibility = "public"  # the root post
    reply_visibility: Visibility = "unlisted"  # replies stay off public timelines
    # Both limits come from the instance (GET /api/v2/instance) unless set here.
    # They come before spoiler_text, whose check reads them.
    max_characters: int | None = Field(default=None, gt=0)
    characters_reserved_per_url: int | None = Field(default=None, gt=0)
    spoiler_text: str | None = None
    timeout: float = Field(default=30.0, gt=0)  # seconds to wait for the instance to answer

    @field_validator("spoiler_text")
    @classmethod
    def _leaves_room_for_the_text(
        cls, spoiler_text: str | None, info: ValidationInfo
    ) -> str | None:
        """With max_characters configured, a content warning too long for it is refused when
        the configuration loads; render checks it against the instance's own limit as well."""
        limit = info.data.get("max_characters")
        width = info.data.get("characters_reserved_per_url") or DEFAULT.characters_reserved_per_url
        if limit:
            Limits(limit, width).room(spoiler_text)
        return spoiler_text
