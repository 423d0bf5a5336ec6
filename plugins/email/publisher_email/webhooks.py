"""Bounces and complaints that email services report by webhook: Amazon SES, Mailgun, Postmark.

Plain functions from a request's body (and the headers that matter) to the
same `BounceEvent`s the bounce mailbox yields, so `land` records them with
the same rules; `publisher serve` routes call them. Each verifies the sender
first and raises `WebhookRefused` (answer 403) when it cannot:

- SES through SNS: the signature is checked as AWS documents it
  (SignatureVersion 1 with SHA1, 2 with SHA256, over the message's fields in
  their fixed order), with a certificate fetched only from an https URL on
  sns.<region>.amazonaws.com; and the topic must be one the destination names
  in `ses_topic_arns` (anyone can make an SNS topic that AWS signs).
- Mailgun: HMAC-SHA256 of timestamp and token with the webhook signing key,
  and a timestamp no older than `MAX_AGE`, so a captured request cannot be replayed later.
- Postmark: the basic-auth user and password set in the webhook's URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from publisher import Destination
from publisher_email.bounce_store import BounceBook, BounceEvent, Kind, Recorded, Rules
from publisher_email.render import list_name

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings

MAX_AGE = 15 * 60  # seconds a Mailgun signature stays acceptable
MAX_BODY = 1_000_000  # bytes of a webhook body or a certificate read
_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com")
_SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_SNS_FIELDS["UnsubscribeConfirmation"] = _SNS_FIELDS["SubscriptionConfirmation"]
_SNS_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
_POSTMARK_KINDS: dict[str, Kind] = {
    "HardBounce": "hard",
    "BadEmailAddress": "hard",
    "SoftBounce": "soft",
    "Transient": "soft",
    "DnsError": "soft",
    "SpamComplaint": "complaint",
}


class WebhookRefused(Exception):
    """Not a request we can trust (bad signature, unknown topic, malformed body): answer 403."""


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message: the events of a notification, or the URL that confirms a
    subscription (the route visits it with `confirm_subscription`)."""

    type: str
    topic: str
    events: tuple[BounceEvent, ...] = ()
    subscribe_url: str | None = None


def land(destination: Destination[EmailSettings], events: Collection[BounceEvent]) -> Recorded:
    """Record webhook events in the destination's list, with its rules, as IMAP bounces are."""
    settings = destination.settings
    book = BounceBook(destination.state.engine, list_name(destination), Rules.of(settings))
    return book.record(events)


# Amazon SES through SNS ---------------------------------------------------------------


def on_sns(url: str, what: str = "the signing certificate") -> str:
    """`url` when it is https on sns.<region>.amazonaws.com (no port, no login), else
    WebhookRefused: nothing else is ever fetched for an SNS message."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not _SNS_HOST.fullmatch(parts.hostname or "")
        or parts.port not in (None, 443)
        or parts.username
        or parts.password
    ):
        raise WebhookRefused(f"{what} is not on https://sns.<region>.amazonaws.com")
    return url


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read(MAX_BODY)


@lru_cache(maxsize=16)
def fetch_certificate(url: str) -> bytes:
    """The PEM certificate at a checked SNS URL (kept: SNS uses a few for months)."""
    return _get(on_sns(url))


def confirm_subscription(url: str, fetch: Callable[[str], bytes] = _get) -> None:
    """Visit a verified message's SubscribeURL, as SNS asks before it sends notifications."""
    fetch(on_sns(url, "the SubscribeURL"))


def ses_notification(
    body: bytes,
    *,
    topic_arns: Collection[str],
    fetch: Callable[[str], bytes] = fetch_certificate,
) -> SnsMessage:
    """Verify an SNS message from SES and read its bounces and complaints."""
    message = _json(body)
    kind = message.get("Type")
    if kind not in _SNS_FIELDS:
        raise WebhookRefused(f"not an SNS message type we read: {kind!r}")
    topic = message.get("TopicArn", "")
    if topic not in topic_arns:
        raise WebhookRefused(f"topic {topic!r} is not in ses_topic_arns")
    _verify_sns(message, kind, fetch)
    if kind != "Notification":
        url = message.get("SubscribeURL") if kind == "SubscriptionConfirmation" else None
        return SnsMessage(kind, topic, subscribe_url=url and on_sns(url, "the SubscribeURL"))
    try:
        notification = json.loads(message["Message"])
    except (ValueError, TypeError):
        raise WebhookRefused("the SNS message does not carry an SES notification") from None
    return SnsMessage(kind, topic, tuple(_ses_events(notification, message["MessageId"])))


def _verify_sns(message: dict[str, Any], kind: str, fetch: Callable[[str], bytes]) -> None:
    version = str(message.get("SignatureVersion", ""))
    if version not in _SNS_HASHES:
        raise WebhookRefused(f"unknown SNS SignatureVersion {version!r}")
    url = on_sns(str(message.get("SigningCertURL", "")))
    signed = "".join(
        f"{name}\n{message[name]}\n" for name in _SNS_FIELDS[kind] if name in message
    ).encode()
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        certificate = x509.load_pem_x509_certificate(fetch(url))
    except (binascii.Error, ValueError):
        raise WebhookRefused("the SNS signature or its certificate cannot be read") from None
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise WebhookRefused("the SNS certificate does not hold an RSA key")
    try:
        public.verify(signature, signed, padding.PKCS1v15(), _SNS_HASHES[version]())
    except InvalidSignature:
        raise WebhookRefused("the SNS signature does not match the message") from None


def _ses_events(notification: dict[str, Any], reference: str) -> list[BounceEvent]:
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = notification.get("mail") or {}
    message_id = (mail.get("commonHeaders") or {}).get("messageId")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        feedback = bounce.get("feedbackId") or reference
        return [
            BounceEvent(
                str(recipient.get("emailAddress", "")).lower(),
                "hard" if hard else "soft",
                "ses",
                f"ses:{feedback}:{recipient.get('emailAddress', '')}".lower(),
                " ".join(
                    str(recipient.get(key, "")) for key in ("status", "diagnosticCode")
                ).strip()
                or str(bounce.get("bounceSubType", "")),
                message_id=message_id,
            )
            for recipient in bounce.get("bouncedRecipients") or []
            if recipient.get("emailAddress")
        ]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        if complaint.get("complaintFeedbackType") == "not-spam":
            return []
        feedback = complaint.get("feedbackId") or reference
        return [
            BounceEvent(
                str(recipient.get("emailAddress", "")).lower(),
                "complaint",
                "ses",
                f"ses:{feedback}:{recipient.get('emailAddress', '')}".lower(),
                f"complaint ({complaint.get('complaintFeedbackType') or 'abuse'}) through SES",
                message_id=message_id,
            )
            for recipient in complaint.get("complainedRecipients") or []
            if recipient.get("emailAddress")
        ]
    return []  # deliveries, opens and the like


# Mailgun ------------------------------------------------------------------------------


def mailgun_event(body: bytes, *, signing_key: str, now: float | None = None) -> list[BounceEvent]:
    """Verify a Mailgun webhook and read its bounce or complaint (none for other events)."""
    payload = _json(body)
    signature = payload.get("signature") or {}
    timestamp = str(signature.get("timestamp", ""))
    token = str(signature.get("token", ""))
    expected = hmac.new(
        signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, str(signature.get("signature", ""))):
        raise WebhookRefused("the Mailgun signature does not match")
    try:
        age = (time.time() if now is None else now) - float(timestamp)
    except ValueError:
        raise WebhookRefused("the Mailgun timestamp is not a number") from None
    if abs(age) > MAX_AGE:
        raise WebhookRefused("the Mailgun signature is too old (a replayed request?)")
    event = payload.get("event-data") or {}
    address = str(event.get("recipient", "")).lower()
    name = event.get("event")
    kind: Kind
    if name == "failed":
        kind = "hard" if event.get("severity") == "permanent" else "soft"
        status = event.get("delivery-status") or {}
        detail = f"{status.get('code', '')} {status.get('message', '')}".strip()
    elif name == "complained":
        kind, detail = "complaint", "complaint through Mailgun"
    else:
        return []
    if not address:
        return []
    headers = (event.get("message") or {}).get("headers") or {}
    message_id = headers.get("message-id")
    return [
        BounceEvent(
            address,
            kind,
            "mailgun",
            f"mailgun:{event.get('id') or token}",
            detail,
            message_id=f"<{message_id.strip('<>')}>" if message_id else None,
        )
    ]


# Postmark -----------------------------------------------------------------------------


def postmark_event(
    body: bytes, authorization: str | None, *, credentials: str
) -> list[BounceEvent]:
    """Check the basic-auth login Postmark sends, then read its bounce or spam complaint."""
    expected = "Basic " + base64.b64encode(credentials.encode()).decode()
    if not hmac.compare_digest(expected.encode(), (authorization or "").encode()):
        raise WebhookRefused("the Postmark webhook's login does not match")
    record = _json(body)
    kind = (
        "complaint"
        if record.get("RecordType") == "SpamComplaint"
        else _POSTMARK_KINDS.get(str(record.get("Type")))
    )
    address = str(record.get("Email", "")).lower()
    if kind is None or not address:
        return []
    return [
        BounceEvent(
            address,
            kind,
            "postmark",
            f"postmark:{record.get('RecordType', '')}:{record.get('ID', '')}",
            f"{record.get('Type', '')}: {record.get('Description', '')}".strip(": "),
        )
    ]


def _json(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY:
        raise WebhookRefused("the request body is too large")
    try:
        value = json.loads(body)
    except ValueError:
        raise WebhookRefused("the request body is not JSON") from None
    if not isinstance(value, dict):
        raise WebhookRefused("the request body is not a JSON object")
    return value
