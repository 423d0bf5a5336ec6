"""A server that drops the connection: the pool sends again only what cannot have arrived.

Before DATA (an idle connection the server closed, found at MAIL FROM) the message
goes out once more on a fresh connection; from DATA on the server may hold it, so
the copy is a TemporaryFailure left in flight, never resent at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from publisher import TemporaryFailure
from publisher_email.smtp_pool import SmtpPool, SmtpServer
from publisher_email.transport import Envelope
from support.mail import READERS, LoopbackController, Mailbox


@dataclass
class DroppingMailbox(Mailbox):
    """Drops the connection (a reset, no reply) at MAIL FROM or after taking the message,
    once for each address named."""

    drop_at_mail: set[str] = field(default_factory=set)
    drop_after_data: set[str] = field(default_factory=set)
    mails: int = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if address in self.drop_at_mail:
            self.drop_at_mail.discard(address)
            server.transport.abort()
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        dropped = self.drop_after_data & set(envelope.rcpt_tos)
        if dropped:
            self.drop_after_data -= dropped
            server.transport.abort()
        return reply


@pytest.fixture
def dropping() -> Iterator[tuple[DroppingMailbox, str]]:
    mailbox = DroppingMailbox()
    controller = LoopbackController(mailbox)
    controller.start()
    yield mailbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def _copy(address: str, sender: str = "news@example.org") -> Envelope:
    message = (
        f"From: {sender}\r\nTo: {address}\r\nSubject: Night market\r\n"
        "Message-ID: <one@example.org>\r\n\r\nThe harbour opens at dusk.\r\n"
    ).encode()
    return Envelope(sender, address, message, label="edition")


def test_a_drop_after_the_message_is_not_resent_and_leaves_the_copy_in_flight(dropping):
    mailbox, url = dropping
    pool = SmtpPool(SmtpServer.parse(url), size=1)
    try:
        pool.send(_copy(READERS[0]))  # the connection is now idle, to be reused
        mailbox.drop_after_data.add(READERS[1])

        with pytest.raises(TemporaryFailure, match="after DATA") as failure:
            pool.send(_copy(READERS[1]))

        assert "may have arrived" in str(failure.value)
        assert len(mailbox.to(READERS[1])) == 1  # taken once, and never sent again
        pool.send(_copy(READERS[2]))  # the pool carries on with a fresh connection
    finally:
        pool.close()
    assert len(mailbox.to(READERS[2])) == 1
    assert mailbox.count() == 3


def test_a_reused_connection_dropped_before_data_is_replaced_and_delivers_once(dropping):
    mailbox, url = dropping
    pool = SmtpPool(SmtpServer.parse(url), size=1)
    try:
        pool.send(_copy(READERS[0]))
        mailbox.drop_at_mail.add("news@example.org")

        pool.send(_copy(READERS[1]))
    finally:
        pool.close()

    assert mailbox.mails == 3  # MAIL FROM on the dropped connection, then on a fresh one
    assert len(mailbox.to(READERS[1])) == 1
    assert mailbox.count() == 2


def test_a_fresh_connection_dropped_before_data_is_a_temporary_failure(dropping):
    mailbox, url = dropping
    mailbox.drop_at_mail.add("news@example.org")
    pool = SmtpPool(SmtpServer.parse(url), size=1)
    try:
        with pytest.raises(TemporaryFailure, match="lost the connection"):
            pool.send(_copy(READERS[0]))
    finally:
        pool.close()
    assert mailbox.count() == 0


def test_the_reply_to_the_final_dot_is_awaited_longer_than_a_command(dropping):
    """A server that checks the message at length before it answers: the copy is delivered,
    not given up after the (here very short) command timeout and left uncertain."""
    mailbox, url = dropping
    mailbox.hold = 1.5
    pool = SmtpPool(SmtpServer.parse(url), size=1, timeout=0.5, final_reply_timeout=30)
    try:
        pool.send(_copy(READERS[0]))
    finally:
        pool.close()
    assert len(mailbox.to(READERS[0])) == 1
