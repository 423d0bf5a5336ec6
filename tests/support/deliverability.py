"""Keys, DNS answers and bounce messages for the deliverability tests.

The bounces and complaints are built from the copies the local SMTP server
actually received, as a remote mail server (or a mailbox provider's feedback
loop) would build them: a delivery status notification (RFC 3464) sent to the
copy's envelope sender, and an abuse report (RFC 5965) carrying the copy.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
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


def _report(to: str, sender: str, report_type: str, text: str) -> EmailMessage:
    report = EmailMessage(policy=policy.SMTP)
    report["From"] = sender
    report["To"] = to
    report["Date"] = format_datetime(datetime.now(UTC))
    report["Message-ID"] = make_msgid("report", domain="mx.remote.example")
    report.set_content(text)
    report.make_mixed()
    report.replace_header("Content-Type", f"multipart/report; report-type={report_type}")
    return report


def _part(content_type: str, payload: bytes) -> EmailMessage:
    part = EmailMessage(policy=policy.SMTP)
    part["Content-Type"] = content_type
    part.set_payload(payload)
    return part


def dsn(copy: Received, status: str, diagnostic: str, action: str = "failed") -> bytes:
    """The remote MTA's delivery status notification for one copy, sent to its return path."""
    (recipient,) = copy.recipients
    report = _report(
        copy.sender,
        "Mail Delivery System <MAILER-DAEMON@mx.remote.example>",
        "delivery-status",
        f"This is the mail system at host mx.remote.example.\n\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"<{recipient}>: {diagnostic}\n",
    )
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
    report.attach(_part("message/delivery-status", fields.encode()))
    headers = copy.raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    report.attach(_part("text/rfc822-headers", headers))
    return report.as_bytes()


def arf(copy: Received, feedback_address: str) -> bytes:
    """A mailbox provider's abuse report (RFC 5965) about one copy, with the copy inside."""
    (recipient,) = copy.recipients
    report = _report(
        feedback_address,
        "Feedback Loop <fbl@mail.remote.example>",
        "feedback-report",
        "This is an email abuse report for an email message received from IP 127.0.0.1.\n",
    )
    fields = (
        "Feedback-Type: abuse\r\n"
        "User-Agent: RemoteFBL/1.0\r\n"
        "Version: 1\r\n"
        f"Original-Mail-From: <{copy.sender}>\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        f"Arrival-Date: {format_datetime(datetime.now(UTC))}\r\n"
        "Source-IP: 127.0.0.1\r\n"
    )
    report.attach(_part("message/feedback-report", fields.encode()))
    original = f"Return-Path: <{copy.sender}>\r\n".encode() + copy.raw
    report.attach(_part("message/rfc822", original))
    return report.as_bytes()


def qmail_bounce(copy: Received) -> bytes:
    """A bounce in qmail's own format, no DSN: only a heuristic can read it."""
    (recipient,) = copy.recipients
    bounce = EmailMessage(policy=policy.SMTP)
    bounce["From"] = "MAILER-DAEMON@qmail.remote.example"
    bounce["To"] = copy.sender
    bounce["Subject"] = "failure notice"
    bounce["Date"] = format_datetime(datetime.now(UTC))
    bounce["Message-ID"] = make_msgid("qmail", domain="qmail.remote.example")
    bounce.set_content(
        "Hi. This is the qmail-send program at qmail.remote.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{recipient}>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        + copy.raw.partition(b"\r\n\r\n")[0].decode("ascii", "replace").replace("\r\n", "\n")
        + "\n"
    )
    return bounce.as_bytes()
