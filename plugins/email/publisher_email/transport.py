"""Where copies go: what the sending loop needs of an SMTP pool or an outbox folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

OUTBOX = "outbox:"  # the `smtp` setting's prefix for a folder of .eml files


class Refused(Exception):
    """The server refused one recipient's copy: for good on a 5xx, for now on a 4xx."""

    def __init__(self, code: int, reply: str) -> None:
        super().__init__(f"{code} {reply}".strip())
        self.code = code
        self.reply = reply

    @property
    def permanent(self) -> bool:
        return self.code >= 500


@dataclass(frozen=True)
class Envelope:
    """One copy: who it is from (MAIL FROM), who it is for, and its bytes."""

    sender: str
    recipient: str
    message: bytes
    label: str  # what the copy belongs to (the edition), for an outbox's folder names
    # An outbox's file name for a message that must be kept beside earlier ones (each
    # confirmation); by default one file per recipient, which a copy sent again replaces.
    name: str | None = None


class Transport(Protocol):
    connections: int  # copies that can be on the wire at once

    def send(self, envelope: Envelope) -> None:
        """Deliver one copy (thread-safe); raise Refused for this recipient, DeliveryError
        when nothing can be sent."""

    def describe(self) -> str:
        """Where copies go, for messages; never shows a password."""

    def check(self) -> str:
        """Connect (and log in) without sending; say what was reached."""

    def close(self) -> None:
        """Close whatever is open."""
