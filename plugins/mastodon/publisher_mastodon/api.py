"""Mastodon.py for one destination, and its errors in the terms the delivery loop acts on."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from publisher import AuthenticationFailed, DeliveryError, RateLimited, TemporaryFailure
from publisher_mastodon.settings import MastodonSettings

# Mastodon says "Validation failed: Text character limit of 500 exceeded".
_TOO_LONG = re.compile(r"character limit of (\d+)", re.IGNORECASE)


class TextTooLong(DeliveryError):
    """The instance refused a status as too long; `limit` is the limit it named."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


def connect(settings: MastodonSettings) -> Mastodon:
    """A client that reports rate limits instead of sleeping: the core decides how long to wait."""
    return Mastodon(
        access_token=settings.access_token.reveal(),
        api_base_url=settings.instance,
        ratelimit_method="throw",
        request_timeout=settings.timeout,
    )


def instance_info(api: Mastodon) -> Mapping[str, Any]:
    """GET /api/v2/instance; empty for servers older than Mastodon 4.0, which lack it."""
    with translated_errors(api):
        try:
            return api.instance_v2()
        except MastodonNotFoundError:
            return {}


@contextmanager
def translated_errors(api: Mastodon) -> Iterator[None]:
    """Turn Mastodon.py's exceptions into those the core retries, waits on or stops at."""
    try:
        yield
    except MastodonRatelimitError as error:
        # Mastodon.py has already read X-RateLimit-Reset into `ratelimit_reset` (epoch seconds).
        reset = api.ratelimit_reset
        wait = max(0.0, reset - time.time()) if reset else None
        raise RateLimited("the instance's rate limit is reached", retry_after=wait) from error
    except MastodonUnauthorizedError as error:
        raise AuthenticationFailed(
            "the instance refused the access token: it is invalid or expired (or was revoked); "
            "create a new one under Preferences > Development and set it in the configuration"
        ) from error
    except MastodonServerError as error:
        raise TemporaryFailure(f"the instance failed: {_describe(error)}") from error
    except MastodonNetworkError as error:
        raise TemporaryFailure(f"the connection to the instance failed: {error}") from error
    except MastodonAPIError as error:
        status, _, message = _parts(error)
        too_long = _TOO_LONG.search(message) if status == 422 else None
        if too_long:
            raise TextTooLong(
                f"the instance refused the post as too long ({message})", int(too_long.group(1))
            ) from error
        raise DeliveryError(f"the instance refused the request: {_describe(error)}") from error


def _parts(error: MastodonAPIError) -> tuple[int | None, str, str]:
    """Mastodon.py raises with (text, status, reason, server message) for HTTP errors."""
    args = error.args
    if len(args) >= 4 and isinstance(args[1], int):
        return args[1], str(args[2] or ""), str(args[3] or "")
    return None, "", " ".join(str(arg) for arg in args)


def _describe(error: MastodonAPIError) -> str:
    status, reason, message = _parts(error)
    if status is None:
        return message
    return f"{status} {reason}" + (f": {message}" if message else "")
