"""What a Mastodon destination is configured with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from publisher import ChannelSettings, Secret, Url
from publisher.social import ThreadMode

Visibility = Literal["public", "unlisted", "private", "direct"]


class MastodonSettings(ChannelSettings):
    instance: Url
    access_token: Secret
    thread: ThreadMode = "faq"
    visibility: Visibility = "public"  # the root post
    reply_visibility: Visibility = "unlisted"  # replies stay off public timelines
    spoiler_text: str | None = None
    # Both limits come from the instance (GET /api/v2/instance) unless set here.
    max_characters: int | None = Field(default=None, gt=0)
    characters_reserved_per_url: int | None = Field(default=None, gt=0)
    digest_title: str = "{site}: the week to {date:%d %B %Y}"
    timeout: float = Field(default=30.0, gt=0)  # seconds to wait for the instance to answer
