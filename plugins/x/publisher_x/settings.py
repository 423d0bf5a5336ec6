"""What an X destination is configured with; credentials come from the environment."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from publisher import ChannelSettings, Secret, Url
from publisher.social import DigestTitle, ThreadMode


def _from_env(name: str) -> Any:
    """A field read from one environment variable when the configuration does not set it."""
    return Field(default_factory=lambda: Secret.from_env(name))


class XSettings(ChannelSettings):
    thread: ThreadMode = "summary"
    api_key: Secret = _from_env("X_API_KEY")
    api_secret: Secret = _from_env("X_API_SECRET")
    access_token: Secret = _from_env("X_ACCESS_TOKEN")
    access_token_secret: Secret = _from_env("X_ACCESS_TOKEN_SECRET")
    digest_title: DigestTitle = "{site}: the week to {date:%d %B %Y}"
    # Where requests for https://api.twitter.com go instead, such as a proxy that
    # forwards them or a local server in tests; unset, they go to X itself.
    api_url: Url | None = None
    timeout: float = Field(default=30.0, gt=0)  # seconds to wait for an answer
