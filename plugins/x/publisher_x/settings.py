"""What an X destination is configured with; credentials come from the environment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from publisher import Secret, Url
from publisher.social import SocialSettings, ThreadMode


def _from_env(name: str) -> Any:
    """A field read from one environment variable when the configuration does not set it."""
    return Field(default_factory=lambda: Secret.from_env(name))


class Prices(BaseModel):
    """X's pay-per-use prices in US dollars (X's developer documentation, 2026)."""

    model_config = ConfigDict(extra="forbid")

    post: float = Field(default=0.015, ge=0)
    post_with_url: float = Field(default=0.200, ge=0)
    read: float = Field(default=0.005, ge=0)  # a post read, as `recover` reads the timeline


class XSettings(SocialSettings):
    thread: ThreadMode = "summary"
    api_key: Secret = _from_env("X_API_KEY")
    api_secret: Secret = _from_env("X_API_SECRET")
    access_token: Secret = _from_env("X_ACCESS_TOKEN")
    access_token_secret: Secret = _from_env("X_ACCESS_TOKEN_SECRET")
    prices: Prices = Field(default_factory=Prices)
    # A publication whose posts would cost more is refused before anything is sent.
    max_cost: float | None = Field(default=None, gt=0)
    # Where requests for https://api.twitter.com (and upload.twitter.com) go instead, such as a
    # proxy that forwards them or a local server in tests; unset, they go to X itself.
    api_url: Url | None = None
    timeout: float = Field(default=30.0, gt=0)  # seconds to wait for an answer
