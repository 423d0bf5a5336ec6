"""`outbox:FOLDER`: every copy as a .eml file, for local use, demos and review.

One folder per edition, one file per recipient. A file is written under a
temporary name and renamed into place, so a process killed mid-write never
leaves half a message, and a copy written again replaces the same file.
Messages that must each be kept (sign-up confirmations) carry a name of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

from publisher import DeliveryError
from publisher_email.transport import Envelope

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


class Outbox:
    connections = 1  # writing files gains nothing from parallel writers

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, envelope: Envelope) -> Path:
        return (
            self.folder
            / _UNSAFE.sub("_", envelope.label)
            / (_UNSAFE.sub("_", envelope.name or envelope.recipient) + ".eml")
        )

    def send(self, envelope: Envelope) -> None:
        path = self.path_for(envelope)
        partial = path.with_name(path.name + ".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(envelope.message)
            partial.replace(path)
        except OSError as error:
            raise DeliveryError(f"cannot write {path}: {error.strerror or error}") from None

    def describe(self) -> str:
        return f"outbox {self.folder}"

    def check(self) -> str:
        return f"{self.describe()} (.eml files)"

    def close(self) -> None:
        """Nothing stays open between copies."""
