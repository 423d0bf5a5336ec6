"""The addresses email services post bounces and complaints to, under `publisher serve`.

    POST /webhooks/ses/{destination}        Amazon SES, through an SNS topic's HTTPS subscription
    POST /webhooks/mailgun/{destination}    Mailgun
    POST /webhooks/postmark/{destination}   Postmark (its login in the URL: https://user:pw@...)

`{destination}` is the email destination whose list the events land in. One
that does not exist, is not email, or has not set up that service gets the
404 any unknown address gets, so a stranger learns nothing. The request's own
signature authorises it (no CSRF token). The answer: 200 with what was
recorded, 403 for a request that cannot be verified, 400 for a body that is
not the service's, 503 when SNS cannot be reached (SNS sends it again). These
are plain functions, so the core runs them in a worker thread: fetching SNS's
certificate or confirming a subscription never holds up other pages.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response

from publisher import Destination, Secret
from publisher_email.bounce_store import BounceEvent
from publisher_email.webhooks import (
    MAX_BODY,
    RecentTokens,
    WebhookRefused,
    WebhookUnavailable,
    WebhookUnreadable,
    confirm_subscription,
    land,
    mailgun_event,
    postmark_event,
    ses_notification,
)

log = logging.getLogger("publisher.email")
_MAILGUN_TOKENS = RecentTokens()  # this process's memory of the Mailgun tokens it accepted


def register_webhooks(register) -> None:
    """The three webhooks, with room for the bodies these services send (SNS: 256 KiB)."""
    for path, endpoint, name in (
        ("/webhooks/ses/{destination}", ses, "webhook-ses"),
        ("/webhooks/mailgun/{destination}", mailgun, "webhook-mailgun"),
        ("/webhooks/postmark/{destination}", postmark, "webhook-postmark"),
    ):
        register(path, endpoint, methods=["POST"], name=name, csrf=False, max_body=MAX_BODY)


def ses(request, web) -> Response:
    destination = _destination(request, web, lambda d: bool(d.settings.ses_topic_arns))
    with _verified(destination, "SES"):
        message = ses_notification(
            web.body(request), topic_arns=destination.settings.ses_topic_arns
        )
        if message.subscribe_url:
            confirm_subscription(message.subscribe_url)
    if message.type != "Notification":
        log.info("%s: SNS %s for %s", destination.name, message.type, message.topic)
        done = "subscription confirmed" if message.subscribe_url else "noted"
        return PlainTextResponse(f"{done}\n")
    return _landed(destination, "SES", message.events)


def mailgun(request, web) -> Response:
    destination = _destination(request, web, lambda d: _is_set(d.settings.mailgun_signing_key))
    with _verified(destination, "Mailgun"):
        events = mailgun_event(
            web.body(request),
            signing_key=destination.settings.mailgun_signing_key.reveal(),
            seen=_MAILGUN_TOKENS,
        )
    return _landed(destination, "Mailgun", events)


def postmark(request, web) -> Response:
    destination = _destination(request, web, lambda d: _is_set(d.settings.postmark_webhook_auth))
    authorization = request.headers.get("authorization")
    if not authorization:  # a client that sends its login only when asked for it
        return web.error(
            request,
            401,
            "Login needed",
            "This address needs the login set in the webhook's URL.",
            **{"WWW-Authenticate": 'Basic realm="Publisher webhooks"'},
        )
    with _verified(destination, "Postmark"):
        events = postmark_event(
            web.body(request),
            authorization,
            credentials=destination.settings.postmark_webhook_auth.reveal(),
        )
    return _landed(destination, "Postmark", events)


def _destination(request, web, ready) -> Destination:
    """The email destination named in the path, if it set up this service; else 404."""
    name = request.path_params["destination"]
    for destination in web.workspace.destinations():
        if destination.name == name and destination.channel == "email" and ready(destination):
            return destination
    raise HTTPException(404)


def _is_set(secret: Secret | None) -> bool:
    return secret is not None and secret.is_set


@contextmanager
def _verified(destination: Destination, service: str) -> Iterator[None]:
    """Answer 400, 403 or 503 for what the service's checks raise, and log why (the
    requester is told nothing more than the status)."""
    try:
        yield
    except WebhookUnreadable as error:
        _refused(destination, service, error)
        raise HTTPException(400) from None
    except WebhookRefused as error:
        _refused(destination, service, error)
        raise HTTPException(403) from None
    except WebhookUnavailable as error:
        log.warning("%s: %s webhook not read, try again: %s", destination.name, service, error)
        raise HTTPException(503) from None


def _refused(destination: Destination, service: str, error: Exception) -> None:
    log.warning("%s: %s webhook refused: %.300s", destination.name, service, error)


def _landed(destination: Destination, service: str, events: Collection[BounceEvent]) -> Response:
    recorded = land(destination, events)
    summary = (
        f"{recorded.new} new, {recorded.repeated} repeated, {recorded.unknown} not on the list"
    )
    stopped = "".join(
        f"; {address} is now {status}" for address, status in recorded.stopped.items()
    )
    log.info("%s: %s webhook: %s%s", destination.name, service, summary, stopped)
    return PlainTextResponse(f"recorded: {summary}\n")
