"""What a Bluesky destination is configured with; the app password comes from the environment."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from publisher import Secret, Url
from publisher.social import SocialSettings

# A handle is a domain name (brief.bsky.social); a DID (did:plc:...) names the account too.
_HANDLE = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]*")
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]+")


def _handle(value: str) -> str:
    value = value.strip().removeprefix("@")
    if not (_HANDLE.fullmatch(value) or _DID.fullmatch(value)):
        raise ValueError(
            f"{value!r} is not a Bluesky handle such as 'brief.bsky.social' (or a DID)"
        )
    return value


Handle = Annotated[str, AfterValidator(_handle)]


class BlueskySettings(SocialSettings):
    handle: Handle
    # An app password (Settings > Privacy and security > App passwords), never the account's own.
    app_password: Secret = Field(default_factory=lambda: Secret.from_env("BLUESKY_APP_PASSWORD"))
    service: Url = "https://bsky.social"  # the PDS that holds the account
    timeout: float = Field(default=30.0, gt=0)  # seconds to wait for an answer
