"""tweepy's client for one destination, and its errors in the terms the delivery loop acts on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests
import tweepy

from publisher import AuthenticationFailed, DeliveryError, RateLimited, TemporaryFailure
from publisher_x.settings import XSettings
from publisher_x.transport import route


class DuplicateContent(DeliveryError):
    """X refused a post identical to one already on the account (403)."""


def connect(settings: XSettings) -> tweepy.Client:
    """OAuth 1.0a user context; rate limits are reported, never slept on inside tweepy.

    tweepy's `wait_on_rate_limit` retries at once when no reset time comes;
    the core's loop waits instead, within its bounds.
    """
    client = tweepy.Client(
        consumer_key=settings.api_key.reveal(),
        consumer_secret=settings.api_secret.reveal(),
        access_token=settings.access_token.reveal(),
        access_token_secret=settings.access_token_secret.reveal(),
        wait_on_rate_limit=False,
    )
    route(client.session, settings.api_url, settings.timeout)
    return client


def connect_media(settings: XSettings) -> tweepy.API:
    """tweepy's v1.1 API, which alone has media upload (`simple_upload`) and alt text."""
    auth = tweepy.OAuth1UserHandler(
        settings.api_key.reveal(),
        settings.api_secret.reveal(),
        settings.access_token.reveal(),
        settings.access_token_secret.reveal(),
    )
    api = tweepy.API(auth, timeout=settings.timeout, wait_on_rate_limit=False)
    route(api.session, settings.api_url, settings.timeout)
    return api


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn tweepy's and requests' exceptions into those the core retries, waits on or stops at."""
    try:
        yield
    except tweepy.TooManyRequests as error:
        reset = error.reset_time  # epoch seconds, from x-rate-limit-reset
        wait = max(0.0, reset - time.time()) if reset else None
        raise RateLimited("X's rate limit is reached", retry_after=wait) from error
    except tweepy.Unauthorized as error:
        raise AuthenticationFailed(
            "X refused the credentials: the access token is invalid or expired, or does not "
            "belong to the API key; check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and "
            "X_ACCESS_TOKEN_SECRET"
        ) from error
    except tweepy.Forbidden as error:
        if any("duplicate" in message.lower() for message in error.api_messages):
            raise DuplicateContent(
                f"X refused the post as a duplicate: {_describe(error)}"
            ) from error
        raise DeliveryError(f"X refused the request: {_describe(error)}") from error
    except tweepy.TwitterServerError as error:
        raise TemporaryFailure(f"X failed: {_describe(error)}") from error
    except tweepy.HTTPException as error:
        raise DeliveryError(f"X refused the request: {_describe(error)}") from error
    except requests.RequestException as error:
        raise TemporaryFailure(f"the connection to X failed: {error}") from error
    except tweepy.TweepyException as error:  # the v1.1 API wraps a failed connection in this
        raise TemporaryFailure(f"the connection to X failed: {error}") from error


def _describe(error: tweepy.HTTPException) -> str:
    response = error.response
    messages = "; ".join(error.api_messages)
    return f"{response.status_code} {response.reason}" + (f": {messages}" if messages else "")
