"""What a message in the bounce mailbox says: who failed, how badly, and what it was about.

Three kinds are read. A delivery status notification (RFC 3464) names each
recipient with an action and a status: `failed` with 5.x.x is a hard bounce,
`failed` with 4.x.x a soft one, and `delayed` only a warning (not counted).
An abuse report from a feedback loop (ARF, RFC 5965) is a complaint. Anything
else is handed to flufl.bounce, whose detectors know the formats of many mail
servers that predate DSNs.

Nothing here decides whom a report is about: it collects the addresses the
report names and the return paths it carries (a VERP token names the
recipient and edition with certainty), for bounce_fetch.py to weigh.
"""

from __future__ import annotations

import email
import hashlib
import logging
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Literal

from flufl.bounce import all_failures

Kind = Literal["hard", "soft", "complaint"]
Form = Literal["dsn", "arf", "bounce"]
COMPLAINT_TYPES = ("abuse", "fraud")  # ARF feedback types that are a reader's complaint
# Headers where a mail server records the address a bounce was delivered to.
_DELIVERED_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_DETAIL = 300  # characters of a diagnostic kept

log = logging.getLogger("publisher.email")
# flufl.bounce logs every detector's exception with its traceback before raising it again;
# a message it cannot read is reported in one line by bounce_fetch.py instead.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Failure:
    """One recipient a report names, and what happened to it."""

    address: str  # lower case; "" when the report does not say (a redacted complaint)
    kind: Kind
    detail: str


@dataclass(frozen=True)
class Report:
    form: Form
    reference: str  # the report's Message-ID, else a hash of its bytes: the same on every read
    failures: tuple[Failure, ...]
    return_paths: tuple[str, ...]  # envelope senders it was addressed to or carries
    original_message_id: str | None = None
    original_to: tuple[str, ...] = field(default=())


def read_report(raw: bytes) -> Report | None:
    """The report in `raw`, or None when it is no bounce or complaint at all."""
    message = email.message_from_bytes(raw)
    reference = (message.get("Message-ID") or "").strip() or (
        "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    )
    delivered_to = _addresses(message, _DELIVERED_TO)
    feedback = _first_part(message, "message/feedback-report")
    if feedback is not None:
        return _complaint(message, feedback, reference, delivered_to)
    status = _first_part(message, "message/delivery-status")
    if status is not None:
        return _dsn(message, status, reference, delivered_to)
    return _heuristic(message, reference, delivered_to)


def _complaint(
    message: Message, feedback: Message, reference: str, delivered_to: tuple[str, ...]
) -> Report | None:
    fields = _blocks(feedback)[:1]
    block = fields[0] if fields else Message()
    if (block.get("Feedback-Type") or "").strip().lower() not in COMPLAINT_TYPES:
        return None
    original = _original(message)
    named = _addresses(block, ("Original-Rcpt-To", "Removal-Recipient"))
    to = _addresses(original, ("To",)) if original is not None else ()
    addresses = named or to or ("",)
    detail = f"complaint ({block.get('Feedback-Type', '').strip()}) from " + (
        block.get("User-Agent", "a feedback loop").strip()
    )
    return Report(
        "arf",
        reference,
        tuple(Failure(address, "complaint", detail) for address in addresses),
        _unique(
            _addresses(block, ("Original-Mail-From",))
            + (_addresses(original, ("Return-Path",)) if original is not None else ())
            + delivered_to
        ),
        _message_id(original),
        to,
    )


def _dsn(
    message: Message, status: Message, reference: str, delivered_to: tuple[str, ...]
) -> Report | None:
    failures = []
    for block in _blocks(status):
        recipient = _typed_address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if recipient is None:
            continue  # the per-message block
        action = (block.get("Action") or "").strip().lower()
        code = (block.get("Status") or "").strip()
        if action != "failed":
            continue  # delayed, delivered, relayed, expanded: nothing bounced
        kind: Kind = "soft" if code.startswith("4") else "hard"
        diagnostic = " ".join((block.get("Diagnostic-Code") or "").split())
        failures.append(Failure(recipient, kind, f"{code} {diagnostic}".strip()[:_DETAIL]))
    if not failures:
        return None
    original = _original(message)
    return Report(
        "dsn",
        reference,
        tuple(failures),
        _unique(
            delivered_to + (_addresses(original, ("Return-Path",)) if original is not None else ())
        ),
        _message_id(original),
        _addresses(original, ("To",)) if original is not None else (),
    )


def _heuristic(message: Message, reference: str, delivered_to: tuple[str, ...]) -> Report | None:
    """flufl.bounce's detectors; one that trips on a strange message raises, and the caller
    counts the message as unreadable."""
    temporary, permanent = all_failures(message)
    failures = [
        Failure(_text(address).lower(), "hard", "permanent failure (non-standard bounce)")
        for address in sorted(permanent)
    ] + [
        Failure(_text(address).lower(), "soft", "temporary failure (non-standard bounce)")
        for address in sorted(temporary - permanent)
    ]
    if not failures:
        return None
    return Report("bounce", reference, tuple(failures), delivered_to)


def _first_part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = _decoded(part)
    return [
        email.message_from_bytes(chunk) for chunk in text.replace(b"\r\n", b"\n").split(b"\n\n")
    ]


def _decoded(part: Message) -> bytes:
    """A single part's body, its transfer encoding undone (b"" when it has none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _original(message: Message) -> Message | None:
    """The copy a report is about: a message/rfc822 part, or the headers of one."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            return email.message_from_bytes(_decoded(part))
    return None


def _message_id(original: Message | None) -> str | None:
    value = (original.get("Message-ID") or "").strip() if original is not None else ""
    return value or None


def _typed_address(value: str | None) -> str | None:
    """'rfc822; ada@example.org' -> 'ada@example.org'."""
    if not value:
        return None
    kind, _, address = value.partition(";")
    address = parseaddr(address.strip() if address else kind.strip())[1]
    return address.lower() or None


def _addresses(message: Message, names: tuple[str, ...]) -> tuple[str, ...]:
    found = []
    for name in names:
        for _, address in getaddresses([str(value) for value in message.get_all(name, [])]):
            if "@" in address:
                found.append(address.lower())
    return _unique(tuple(found))


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
