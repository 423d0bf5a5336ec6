"""A webhook channel for Publisher: POST each story as JSON to a URL of your choice."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from publisher import (
    AuthenticationFailed,
    Channel,
    ChannelSettings,
    DeliveryError,
    Part,
    RateLimited,
    Rendition,
    Secret,
    Sent,
    TemporaryFailure,
    Url,
    hookimpl,
)


class WebhookSettings(ChannelSettings):
    url: Url
    token: Secret | None = None  # sent as a bearer token, e.g. token = "${WEBHOOK_TOKEN}"
    timeout: float = 30.0  # seconds to wait for an answer


class WebhookChannel(Channel):
    name = "webhook"
    settings_model = WebhookSettings

    def render(self, edition, destination):
        """One JSON document per story; pure, so dry runs and previews show it exactly."""
        parts = []
        for story in edition.stories:
            body = {"id": story.id, "headline": story.headline, "dek": story.dek, "url": story.url}
            text = json.dumps(body, ensure_ascii=False)
            parts.append(Part(text=text, length=len(text)))
        return Rendition(tuple(parts))

    def deliver(self, part, context):
        settings = context.destination.settings
        request = urllib.request.Request(settings.url, data=part.text.encode(), method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", context.idempotency_key)
        if settings.token:
            request.add_header("Authorization", f"Bearer {settings.token.reveal()}")
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout) as response:
                return Sent(id=response.headers.get("Location") or context.idempotency_key)
        except urllib.error.HTTPError as error:
            raise refusal(error) from error
        except OSError as error:  # refused, dropped or timed out: it may have arrived
            raise TemporaryFailure(f"webhook unreachable: {error}") from error


def refusal(error):
    """What an error status means for the run: wait, retry, stop this destination, or fail."""
    if error.code == 429:
        wait = error.headers.get("Retry-After", "")
        return RateLimited("webhook rate limit", float(wait) if wait.isdigit() else None)
    if error.code in (401, 403):
        return AuthenticationFailed(f"webhook refused the token: {error.code}")
    if error.code >= 500:
        return TemporaryFailure(f"webhook answered {error.code}")
    return DeliveryError(f"webhook refused the story: {error.code}")


@hookimpl
def publisher_register_channels(register):
    register(WebhookChannel)
