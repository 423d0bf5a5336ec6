"""The SDK's errors in the terms the delivery loop acts on: wait, retry, stop, or fail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from atproto import exceptions

from publisher import AuthenticationFailed, DeliveryError, RateLimited, TemporaryFailure

# What a PDS answers when the token a request carried is no good (expired, revoked, unknown).
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})


def status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def error_name(error: BaseException) -> str:
    """The XRPC error name (`ExpiredToken`, `RecordNotFound`...), or ''."""
    content = getattr(getattr(error, "response", None), "content", None)
    return getattr(content, "error", "") or ""


def describe(error: BaseException) -> str:
    """`400 InvalidRequest: Record/text must not be longer than 300 graphemes`, or the cause."""
    text = str(error)
    if status(error) is None and error.__cause__ is not None:
        text = f"{type(error.__cause__).__name__}: {error.__cause__}"
    return text or type(error).__name__


def session_refused(error: BaseException) -> bool:
    """Whether the server refused the session's token (as opposed to the request)."""
    return isinstance(error, exceptions.RequestErrorBase) and (
        status(error) == 401 or error_name(error) in SESSION_ERRORS
    )


def is_not_found(error: BaseException) -> bool:
    return isinstance(error, exceptions.BadRequestError) and error_name(error) == "RecordNotFound"


def retry_after(error: BaseException) -> float | None:
    """Seconds until the limit resets: `ratelimit-reset` (epoch seconds), else `retry-after`."""
    response = getattr(error, "response", None)
    headers = {
        name.lower(): value for name, value in (getattr(response, "headers", None) or {}).items()
    }
    try:
        if "ratelimit-reset" in headers:
            return max(0.0, float(headers["ratelimit-reset"]) - time.time())
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
    except ValueError:
        pass
    return None


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the SDK's exceptions into those the core retries, waits on or stops at."""
    try:
        yield
    except exceptions.AtProtocolError as error:
        raise translated(error) from error
    except httpx.TransportError as error:  # the SDK passes on a connection dropped mid-answer
        raise TemporaryFailure(f"the connection to Bluesky failed: {error!r}") from error


def translated(error: exceptions.AtProtocolError) -> DeliveryError:
    code = status(error)
    if code == 429:
        return RateLimited("Bluesky's rate limit is reached", retry_after=retry_after(error))
    if session_refused(error):
        return AuthenticationFailed(
            f"Bluesky refused the session ({describe(error)}); "
            "check the handle and BLUESKY_APP_PASSWORD (an app password, under Settings > "
            "Privacy and security > App passwords)"
        )
    if isinstance(error, exceptions.NetworkError) and code not in (409, 413):
        return TemporaryFailure(f"the connection to Bluesky failed: {describe(error)}")
    if code is not None and code >= 500:
        return TemporaryFailure(f"Bluesky failed: {describe(error)}")
    if isinstance(error, exceptions.RequestErrorBase):
        return DeliveryError(f"Bluesky refused the request: {describe(error)}")
    return DeliveryError(f"Bluesky answered in a way the atproto SDK did not understand: {error}")
