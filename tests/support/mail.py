"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the email tests, and their configuration.

The server keeps what it received as parsed messages, refuses chosen
recipients with given replies, and can hold each message a moment after
counting it (widening the window in which a killed sender has copies in
flight). The fixtures that start and stop servers are in conftest.py.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from publisher import DeliveryContext, Destination, Edition, single
from publisher.testing import make_destination, make_story
from support.project import SITE

READERS = [f"reader{n}@example.org" for n in range(3)]
# Every SMTP server needs a real signing key (the demo key is for outbox: only); tests use this.
SIGNING_KEY = "test-signing-key-3f9a2c7e1b5d8046"

EMAIL_CONFIG = (
    SITE.replace("{", "{{").replace("}", "}}")
    + """
[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "{smtp}"
postal_address = "1 Harbour Road\\nPortville"
unsubscribe_mailto = "leave@news.example.org"
{extra}
"""
)


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    peer: tuple
    raw: bytes = b""  # the bytes as they arrived, for signatures over them


@dataclass
class Mailbox:
    """The server's handler: what arrived, and how to answer."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, list[str]] = field(default_factory=dict)  # address -> replies, in turn
    hold: float = 0.0  # seconds between counting a message and answering 250
    password: str = "s3cret-passw0rd"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.refuse.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    tuple(envelope.rcpt_tos),
                    message,
                    session.peer,
                    envelope.original_content or envelope.content,
                )
            )
        if self.hold:
            await asyncio.sleep(self.hold)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == (
            b"newsletter",
            self.password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.recipients]

    def arrivals(self, address: str) -> list[Received]:
        """Everything that arrived for `address`, with its envelope and raw bytes."""
        with self.lock:
            return [r for r in self.received if address in r.recipients]

    def connections(self) -> int:
        with self.lock:
            return len({r.peer for r in self.received})


class LoopbackController(Controller):
    """aiosmtpd's controller on a socket bound to a free port before it starts (no races)."""

    def __init__(self, handler: Mailbox, **kwargs) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        super().__init__(
            handler, hostname="127.0.0.1", port=self._socket.getsockname()[1], **kwargs
        )

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    scheme: str = "smtp"

    def url(self, user: str = "", password: str = "") -> str:
        login = f"{user}:{password}@" if user else ""
        return f"{self.scheme}://{login}127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def email_config(smtp: str, extra: str = "") -> str:
    return EMAIL_CONFIG.format(smtp=smtp, extra=extra)


@dataclass
class DirectSend:
    """The email channel driven without the core: a `newsletter` destination on an SMTP
    server with its readers subscribed, a one-story edition, and the context of part 1."""

    destination: Destination
    edition: Edition

    @classmethod
    def to(cls, folder: Path, smtp_url: str, addresses: list[str]) -> DirectSend:
        from publisher_email.channel import EmailChannel
        from publisher_email.subscribers import Subscribers

        settings = {"channel": "email", "from": "News <news@example.org>", "smtp": smtp_url}
        destination = make_destination(EmailChannel, settings, folder, name="newsletter")
        readers = Subscribers(destination.state.engine, "newsletter")
        for address in addresses:
            readers.add(address)
        return cls(destination, single(make_story()))

    def context(self, **changes: Any) -> DeliveryContext:
        return DeliveryContext(
            edition=self.edition,
            destination=self.destination,
            number=1,
            reply_to=None,
            idempotency_key="k",
            delivery_id=f"{self.edition.id}/newsletter/1",
            **changes,
        )
