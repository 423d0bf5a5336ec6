"""From the rendered part to the bytes of each recipient's copy.

The `email` package folds and checks the shared headers once per delivery;
each copy then costs its own few headers, a substitution of the unsubscribe
token into both parts, encoded once as quoted-printable with the token's
place kept on a line of its own making (`_Body`), and, when DKIM is
configured, a signature over the finished copy. MJML is never compiled here:
render did that once.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from publisher import Part
from publisher_email.render import UNSUBSCRIBE_TOKEN

if TYPE_CHECKING:
    from publisher_email.dkim_signing import DkimSigner


def message_id(delivery_id: str, address: str, sender: str) -> str:
    """The same for every attempt at one recipient, so a resent copy is the same message."""
    digest = hashlib.sha256(f"{delivery_id}\x1f{address}".encode()).hexdigest()[:40]
    return f"<{digest}@{_domain(sender)}>"


@functools.lru_cache(maxsize=16)
def _domain(sender: str) -> str:
    """The sender's domain (parsed once per send, not per copy)."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


@functools.lru_cache(maxsize=4)
def _date(second: int) -> bytes:
    """The Date header for a second: copies made in the same second share it."""
    return _own_header("Date", format_datetime(datetime.fromtimestamp(second, UTC)))


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
        self._text = _Body(_crlf(part.text if part.text.endswith("\n") else part.text + "\n"))
        self._html = _Body(_crlf(part.extra["html"] + "\n"))

    def copy(self, address: str, message_id: str, token: str) -> bytes:
        """The bytes of one recipient's copy, CRLF line ends, ready for SMTP or a .eml file."""
        unsubscribe = self._unsubscribe.replace(UNSUBSCRIBE_TOKEN, token)
        boundary = self._boundary.encode()
        message = b"".join(
            (
                self._head,
                _own_header("To", address),
                _date(int(time.time())),
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
    def _part(subtype: str, body: _Body, token: str) -> bytes:
        return (
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode() + body.encoded(token).removesuffix(b"\r\n")


# Characters quoted-printable keeps as they are wherever they stand on a line.
_LITERAL = re.compile(r"[A-Za-z0-9_-]{1,70}")
_SOFT_BREAK = b"=\r\n"


class _Body:
    """A part's text, quoted-printable encoded once for every copy.

    Each place the token goes starts a new line (after a soft line break, which
    decoding removes), and the text after it was encoded behind a stand-in of
    the token's length: no line can then break inside the token, and lines stay
    as long as they were. A copy is the pieces joined with its token. A token
    that quoted-printable would have to escape is substituted, and the text
    encoded, for that copy alone.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._segments = [segment.encode() for segment in text.split(UNSUBSCRIBE_TOKEN)]
        self._pieces: dict[int, list[bytes]] = {}  # by token length

    def encoded(self, token: str) -> bytes:
        if not _LITERAL.fullmatch(token):
            return _qp(self._text.replace(UNSUBSCRIBE_TOKEN, token).encode())
        pieces = self._pieces.get(len(token))
        if pieces is None:
            pieces = self._pieces[len(token)] = self._prepare(len(token))
        return token.encode().join(pieces)

    def _prepare(self, length: int) -> list[bytes]:
        stand_in = b"x" * length
        first, *rest = self._segments
        encoded = [_qp(first)] + [_qp(stand_in + segment)[length:] for segment in rest]
        return [piece + _SOFT_BREAK for piece in encoded[:-1]] + encoded[-1:]


def _qp(data: bytes) -> bytes:
    """Quoted-printable with CRLF line ends: binascii takes its soft breaks' line end from the
    data's first line, so the data is encoded after a CRLF of its own, taken off again."""
    return binascii.b2a_qp(b"\r\n" + data, istext=True)[2:]
