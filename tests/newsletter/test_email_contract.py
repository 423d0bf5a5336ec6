"""The email channel passes the contract every channel passes (publisher.testing), delivering
to an outbox folder: one .eml file per copy."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from publisher import Destination
from publisher.testing import Arrival, ChannelContract
from publisher_email.channel import EmailChannel
from publisher_email.subscribers import Subscribers

SIGNING_KEY = "contract-signing-key-5b1e9d7a3c"


class TestEmailChannel(ChannelContract):
    channel_class = EmailChannel
    settings = {"channel": "email", "from": "Test News <news@example.org>", "smtp": "outbox:outbox"}

    @pytest.fixture
    def endpoint(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)
        return tmp_path / "sent"

    def deliver_to(self, endpoint: Path) -> dict:
        return {"channel": "email", "from": "Test News <news@example.org>", "smtp": "outbox:sent"}

    def prepare(self, destination: Destination) -> None:
        Subscribers(destination.state.engine, destination.name).add("reader@example.org", "Reader")

    def delivered(self, endpoint: Path) -> list[Arrival]:
        """Each copy's plain-text alternative, as a reader's mail client shows it."""
        arrivals = []
        for path in sorted(endpoint.rglob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            arrivals.append(Arrival(f"{message['Subject']}\n{body.get_content()}"))
        return arrivals

    def refuse(self, endpoint: Path) -> None:
        """A file where the outbox folder should be: no copy can be written."""
        endpoint.mkdir(parents=True, exist_ok=True)
        for folder in endpoint.iterdir():
            for copy in folder.iterdir():
                copy.unlink()
            folder.rmdir()
        endpoint.rmdir()
        endpoint.write_text("not a folder\n")
