"""The email channel passes the contract every channel passes (publisher.testing)."""

from __future__ import annotations

from publisher.testing import ChannelContract
from publisher_email.channel import EmailChannel


class TestEmailChannel(ChannelContract):
    channel_class = EmailChannel
    settings = {"channel": "email", "from": "Test News <news@example.org>", "smtp": "outbox:outbox"}
