"""The transport a destination's `smtp` setting names: an SMTP pool or an outbox folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher import Destination
from publisher_email.outbox import Outbox
from publisher_email.smtp_pool import SmtpPool, SmtpServer
from publisher_email.transport import OUTBOX, Transport

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings


def open_transport(
    destination: Destination[EmailSettings], connections: int | None = None
) -> Transport:
    """Open (lazily: nothing connects until the first copy) what `smtp` names."""
    url = destination.settings.smtp.reveal()
    if url.startswith(OUTBOX):
        return Outbox(destination.root / url.removeprefix(OUTBOX))
    return SmtpPool(SmtpServer.parse(url), connections or destination.settings.connections)
