"""Keys, DNS answers and bounce messages for the deliverability tests.

The bounces and complaints are built from the copies the local SMTP server
actually received, as a remote mail server (or a mailbox provider's feedback
loop) would build them: a delivery status notification (RFC 3464) sent to the
copy's envelope sender, and an abuse report (RFC 5965) carrying the copy.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from support.mail import Received


def rsa_key_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def ed25519_key_pem() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def dns_record(pem: str) -> str:
    """The DKIM TXT record for a private key, made independently of the code under test."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        data = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kind = "rsa"
    else:
        data = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kind = "ed25519"
    return f"v=DKIM1; k={kind}; p={base64.b64encode(data).decode()}"


def _report(
    to: str, sender: str, report_type: str, text: str, parts: list[tuple[str, bytes]]
) -> bytes:
    """A multipart/report written out as a mail server writes one: MIME text, CRLF."""
    boundary = "report-" + make_msgid().strip("<>").partition("@")[0]
    head = (
        f"From: {sender}\r\nTo: {to}\r\nDate: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: {make_msgid('report', domain='mx.remote.example')}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"\r\n'
        "\r\n"
    )
    body = [f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n".encode()]
    body.append(text.replace("\n", "\r\n").encode())
    for content_type, payload in parts:
        body.append(f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode())
        body.append(payload)
    body.append(f"\r\n--{boundary}--\r\n".encode())
    return head.encode() + b"".join(body)


def dsn(copy: Received, status: str, diagnostic: str, action: str = "failed") -> bytes:
    """The remote MTA's delivery status notification for one copy, sent to its return path."""
    (recipient,) = copy.recipients
    fields = (
        "Reporting-MTA: dns; mx.remote.example\r\n"
        f"Arrival-Date: {format_datetime(datetime.now(UTC))}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.remote.example\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
    )
    headers = copy.raw.partition(b"\r\n\r\n")[0] + b"\r\n"
    return _report(
        copy.sender,
        "Mail Delivery System <MAILER-DAEMON@mx.remote.example>",
        "delivery-status",
        "This is the mail system at host mx.remote.example.\n\n"
        "I'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"<{recipient}>: {diagnostic}\n",
        [("message/delivery-status", fields.encode()), ("text/rfc822-headers", headers)],
    )


def arf(copy: Received, feedback_address: str) -> bytes:
    """A mailbox provider's abuse report (RFC 5965) about one copy, with the copy inside."""
    (recipient,) = copy.recipients
    fields = (
        "Feedback-Type: abuse\r\n"
        "User-Agent: RemoteFBL/1.0\r\n"
        "Version: 1\r\n"
        f"Original-Mail-From: <{copy.sender}>\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        f"Arrival-Date: {format_datetime(datetime.now(UTC))}\r\n"
        "Source-IP: 127.0.0.1\r\n"
    )
    original = f"Return-Path: <{copy.sender}>\r\n".encode() + copy.raw
    return _report(
        feedback_address,
        "Feedback Loop <fbl@mail.remote.example>",
        "feedback-report",
        "This is an email abuse report for an email message received from IP 127.0.0.1.\n",
        [("message/feedback-report", fields.encode()), ("message/rfc822", original)],
    )


def qmail_bounce(copy: Received) -> bytes:
    """A bounce in qmail's own format, no DSN: only a heuristic can read it."""
    (recipient,) = copy.recipients
    original = copy.raw.partition(b"\r\n\r\n")[0].decode("ascii", "replace")
    text = (
        "Hi. This is the qmail-send program at qmail.remote.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        f"<{recipient}>:\r\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n" + original + "\r\n"
    )
    head = (
        "From: MAILER-DAEMON@qmail.remote.example\r\n"
        f"To: {copy.sender}\r\n"
        "Subject: failure notice\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: {make_msgid('qmail', domain='qmail.remote.example')}\r\n\r\n"
    )
    return (head + text).encode()
