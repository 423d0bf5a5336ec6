"""Bounces and complaints that email services report by webhook: Amazon SES, Mailgun, Postmark.

Plain functions from a request's body (and the headers that matter) to the
same `BounceEvent`s the bounce mailbox yields, so `land` records them with
the same rules; the routes in `webhook_pages` call them. Each verifies the
sender first and raises `WebhookRefused` (answer 403) when it cannot,
`WebhookUnreadable` (400) for a body that is not what the service sends, and
`WebhookUnavailable` (503, so the service tries again) when SNS cannot be reached:

- SES through SNS: the signature is checked as AWS documents it
  (SignatureVersion 1 with SHA1, 2 with SHA256, over the message's fields in
  their fixed order), with a certificate fetched only from an https URL on
  sns.<region>.amazonaws.com; and the topic must be one the destination names
  in `ses_topic_arns` (anyone can make an SNS topic that AWS signs).
- Mailgun: HMAC-SHA256 of timestamp and token with the webhook signing key,
  a timestamp no older than `MAX_AGE`, and (given `seen`) a token not used
  before: Mailgun signs only those two, so a captured request cannot be
  replayed later, nor sent again meanwhile with another event in it.
- Postmark: the basic-auth user and password set in the webhook's URL.

`PUBLISHER_SNS_HOST` (tests only) names a host on this machine that stands in
for sns.<region>.amazonaws.com: SNS's own hosts cannot be reached by a test,
nor made to resolve to 127.0.0.1, so a test serves its certificate and its
SubscribeURL over HTTPS on 127.0.0.1 (trusted through OpenSSL's `SSL_CERT_FILE`)
and the real fetch, TLS checks included, reads them from there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
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
# Bytes of a webhook body or a certificate read. SNS messages reach 256 KiB, and escaped
# inside SNS's JSON a little more; Postmark's optional bounce content can be as large.
MAX_BODY = 1_000_000
SNS_HOST_VARIABLE = "PUBLISHER_SNS_HOST"
_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_WARNED: set[str] = set()  # stand-ins already named in the log
log = logging.getLogger("publisher.email")
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
    """Not a request we can trust (bad signature, unknown topic, replayed): answer 403."""


class WebhookUnreadable(WebhookRefused):
    """A body that is not what the service sends (not JSON, not an object): answer 400."""


class WebhookUnavailable(Exception):
    """SNS could not be reached for a certificate or a confirmation: answer 503, and SNS
    sends the message again later."""


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
    """`url` when it is https on sns.<region>.amazonaws.com (no port, no login), or on the
    stand-in a test named, else WebhookRefused: nothing else is ever fetched for an SNS
    message."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    stand_in = _stand_in()
    on_host = (
        (parts.hostname, port) == stand_in
        if stand_in
        else _SNS_HOST.fullmatch(parts.hostname or "") and port in (None, 443)
    )
    if parts.scheme != "https" or not on_host or parts.username or parts.password:
        raise WebhookRefused(f"{what} is not on https://sns.<region>.amazonaws.com")
    return url


def _stand_in() -> tuple[str, int] | None:
    """The loopback host and port of `PUBLISHER_SNS_HOST`, when a test set it."""
    value = os.environ.get(SNS_HOST_VARIABLE, "")
    if not value:
        return None
    parts = urlsplit(f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.hostname not in _LOOPBACK or port is None or parts.path:
        raise WebhookRefused(
            f"{SNS_HOST_VARIABLE} must be a host on this machine with its port, such as "
            f"127.0.0.1:8443, not {value!r}"
        )
    if value not in _WARNED:
        _WARNED.add(value)
        log.warning(
            "%s is set: SNS certificates and confirmations come from https://%s, not from "
            "Amazon (for tests only)",
            SNS_HOST_VARIABLE,
            value,
        )
    return parts.hostname, port


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Only the checked URL is fetched: a redirect elsewhere is an answer, not followed."""

    def redirect_request(self, *args, **kwargs) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _get(url: str) -> bytes:
    try:
        with _OPENER.open(url, timeout=10) as answer:
            return answer.read(MAX_BODY)
    except urllib.error.HTTPError as error:
        if error.code < 500:  # nothing there (or a redirect): asking again will not help
            raise WebhookRefused(f"{urlsplit(url).netloc} answered {error.code}") from None
        raise WebhookUnavailable(f"{urlsplit(url).netloc} answered {error.code}") from None
    except (OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        raise WebhookUnavailable(f"{urlsplit(url).netloc} did not answer: {reason}") from None


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
    if kind == "SubscriptionConfirmation":
        url = message.get("SubscribeURL")
        if not isinstance(url, str) or not url:
            raise WebhookUnreadable("the subscription confirmation has no SubscribeURL")
        return SnsMessage(kind, topic, subscribe_url=on_sns(url, "the SubscribeURL"))
    if kind != "Notification":
        return SnsMessage(kind, topic)
    try:
        notification = json.loads(message["Message"])
    except (ValueError, TypeError):
        notification = None
    if not isinstance(notification, dict):
        raise WebhookUnreadable("the SNS message does not carry an SES notification")
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
    message_id = _object(_object(notification.get("mail")).get("commonHeaders")).get("messageId")
    if kind == "Bounce":
        bounce = _object(notification.get("bounce"))
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
            for recipient in _objects(bounce.get("bouncedRecipients"))
            if recipient.get("emailAddress")
        ]
    if kind == "Complaint":
        complaint = _object(notification.get("complaint"))
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
            for recipient in _objects(complaint.get("complainedRecipients"))
            if recipient.get("emailAddress")
        ]
    return []  # deliveries, opens and the like


# Mailgun ------------------------------------------------------------------------------


class RecentTokens:
    """The Mailgun tokens accepted in the last `MAX_AGE` seconds (older ones are refused by
    their timestamp anyway), at most `keep` of them: one server process's memory."""

    def __init__(self, keep: int = 100_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def first(self, token: str, now: float) -> bool:
        """Note `token`; False when it was seen already."""
        with self._lock:
            while self._seen and (
                len(self._seen) >= self._keep or next(iter(self._seen.values())) < now - MAX_AGE
            ):
                self._seen.popitem(last=False)
            if token in self._seen:
                return False
            self._seen[token] = now
            return True


def _utf8(text: str) -> bytes:
    """Text from a request as bytes to compare in constant time (compare_digest refuses text
    that is not ASCII); JSON's lone surrogates kept, never an error."""
    return text.encode("utf-8", "surrogatepass")


def mailgun_event(
    body: bytes,
    *,
    signing_key: str,
    now: float | None = None,
    seen: RecentTokens | None = None,
) -> list[BounceEvent]:
    """Verify a Mailgun webhook and read its bounce or complaint (none for other events)."""
    payload = _json(body)
    signature = _object(payload.get("signature"))
    timestamp = str(signature.get("timestamp", ""))
    token = str(signature.get("token", ""))
    expected = hmac.new(signing_key.encode(), _utf8(timestamp + token), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), _utf8(str(signature.get("signature", "")))):
        raise WebhookRefused("the Mailgun signature does not match")
    now = time.time() if now is None else now
    try:
        age = now - float(timestamp)
    except ValueError:
        raise WebhookRefused("the Mailgun timestamp is not a number") from None
    if abs(age) > MAX_AGE:
        raise WebhookRefused("the Mailgun signature is too old (a replayed request?)")
    if seen is not None and not seen.first(token, now):
        raise WebhookRefused("the Mailgun token was used already (a replayed request?)")
    event = _object(payload.get("event-data"))
    address = str(event.get("recipient", "")).lower()
    name = event.get("event")
    kind: Kind
    if name == "failed":
        kind = "hard" if event.get("severity") == "permanent" else "soft"
        status = _object(event.get("delivery-status"))
        detail = f"{status.get('code', '')} {status.get('message', '')}".strip()
    elif name == "complained":
        kind, detail = "complaint", "complaint through Mailgun"
    else:
        return []
    if not address:
        return []
    message_id = _object(_object(event.get("message")).get("headers")).get("message-id")
    return [
        BounceEvent(
            address,
            kind,
            "mailgun",
            f"mailgun:{event.get('id') or token}",
            detail,
            message_id=f"<{message_id.strip('<>')}>" if isinstance(message_id, str) else None,
        )
    ]


# Postmark -----------------------------------------------------------------------------


def postmark_event(
    body: bytes, authorization: str | None, *, credentials: str
) -> list[BounceEvent]:
    """Check the basic-auth login Postmark sends, then read its bounce or spam complaint."""
    expected = "Basic " + base64.b64encode(credentials.encode()).decode()
    if not hmac.compare_digest(expected.encode(), _utf8(authorization or "")):
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
        raise WebhookUnreadable("the request body is too large")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookUnreadable("the request body is not JSON") from None
    if not isinstance(value, dict):
        raise WebhookUnreadable("the request body is not a JSON object")
    return value


def _object(value: object) -> dict[str, Any]:
    """A JSON object the service nests, or an empty one when it sent anything else."""
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[dict[str, Any]]:
    """The objects of a JSON array the service nests (nothing else in it counts)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
