"""From the rendered part to the bytes of each recipient's copy.

The `email` package folds and checks the shared headers once per delivery;
each copy then costs its own few headers, a substitution of the unsubscribe
token, a quoted-printable encoding of both parts (binascii, in C), and,
when DKIM is configured, a signature over the finished copy. MJML is never
compiled here: render did that once.
"""

from __future__ import annotations

import binascii
import hashlib
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from publisher import Part
from publisher_email.dkim_signing import DkimSigner
from publisher_email.render import UNSUBSCRIBE_TOKEN


def message_id(delivery_id: str, address: str, sender: str) -> str:
    """The same for every attempt at one recipient, so a resent copy is the same message."""
    digest = hashlib.sha256(f"{delivery_id}\x1f{address}".encode()).hexdigest()[:40]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _own_header(name: str, value: str) -> bytes:
    """A header made here from checked values; refuse anything that could break the block."""
    if not value.isascii() or "\r" in value or "\n" in value:
        raise ValueError(f"{name}: refusing a header value with line breaks or non-ASCII text")
    return f"{name}: {value}\r\n".encode("ascii")


class Letter:
    """One rendered email, ready to be copied for any number of recipients."""

    def __init__(self, part: Part, seed: str, signer: DkimSigner | None = None) -> None:
        self._signer = signer
        headers = dict(part.extra["headers"])
        self.sender = parseaddr(headers["From"])[1]
        self._unsubscribe = headers.pop("List-Unsubscribe")
        # "=_" cannot occur in quoted-printable text, so the boundary never clashes with it.
        self._boundary = "=_" + hashlib.sha256(seed.encode()).hexdigest()[:32]
        shared = EmailMessage(policy=policy.SMTP)
        for name, value in headers.items():
            shared[name] = value  # the email package refuses CR and LF here
        shared["MIME-Version"] = "1.0"
        shared["Content-Type"] = f'multipart/alternative; boundary="{self._boundary}"'
        self._head = b"".join(
            policy.SMTP.fold_binary(name, value) for name, value in shared.items()
        )
        self._text = _crlf(part.text if part.text.endswith("\n") else part.text + "\n")
        self._html = _crlf(part.extra["html"] + "\n")

    def copy(self, address: str, message_id: str, token: str) -> bytes:
        """The bytes of one recipient's copy, CRLF line ends, ready for SMTP or a .eml file."""
        unsubscribe = self._unsubscribe.replace(UNSUBSCRIBE_TOKEN, token)
        boundary = self._boundary.encode()
        message = b"".join(
            (
                self._head,
                _own_header("To", address),
                _own_header("Date", format_datetime(datetime.now(UTC))),
                _own_header("Message-ID", message_id),
                # Folded after the comma: a URL must never be split or encoded.
                _own_header("List-Unsubscribe", unsubscribe).replace(b", ", b",\r\n "),
                b"\r\n--" + boundary + b"\r\n",
                self._part("plain", self._text, token),
                b"\r\n--" + boundary + b"\r\n",
                self._part("html", self._html, token),
                b"\r\n--" + boundary + b"--\r\n",
            )
        )
        return self._signer.sign(message) + message if self._signer else message

    @staticmethod
    def _part(subtype: str, body: str, token: str) -> bytes:
        encoded = binascii.b2a_qp(body.replace(UNSUBSCRIBE_TOKEN, token).encode(), istext=True)
        return (
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode() + encoded.removesuffix(b"\r\n")
