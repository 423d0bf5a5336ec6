"""Kill a real sending process mid-send (SIGKILL), restart it: everyone gets the message once,
except the copies that were on the wire at a kill, which arrive twice as the same message."""

from __future__ import annotations

import time

import pytest

from support.mail import Mailbox, email_config

READERS = 240
CONNECTIONS = 4


def _kill_when(project, mailbox: Mailbox, received: int) -> None:
    """Start a send as a real process and kill -9 it once the server counted `received`."""
    sender = project.spawn("publish", "--story", "night-market", "--to", "newsletter")
    deadline = time.monotonic() + 60
    while mailbox.count() < received:
        assert sender.poll() is None, sender.communicate()
        assert time.monotonic() < deadline, "the send never got going"
        time.sleep(0.005)
    sender.kill()
    sender.communicate()


@pytest.mark.slow
def test_a_killed_send_resumes_without_skipping_anyone(project, smtp_server):
    project.write_config(email_config(smtp_server.url(), f"connections = {CONNECTIONS}"))
    addresses = [f"reader{n:03d}@example.org" for n in range(READERS)]
    csv = project.root / "readers.csv"
    csv.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    assert project.run("subscribers", "import", str(csv)).code == 0
    mailbox = smtp_server.mailbox
    mailbox.hold = 0.02  # each copy is counted, then answered a moment later: in flight

    _kill_when(project, mailbox, READERS // 3)
    _kill_when(project, mailbox, 2 * READERS // 3)
    at_kill = mailbox.count()
    resumed = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert resumed.code == 0, resumed.out + resumed.err
    assert "newsletter: sent" in resumed.out
    assert at_kill < READERS  # the second process really was killed mid-send
    copies = {address: mailbox.to(address) for address in addresses}
    assert all(copies.values()), [a for a, c in copies.items() if not c]  # nobody skipped
    extra = mailbox.count() - READERS
    assert extra <= 2 * CONNECTIONS  # at most one copy per connection, per kill
    for repeated in (c for c in copies.values() if len(c) > 1):
        assert len({message["Message-ID"] for message in repeated}) == 1
    # A third run has nothing left to send.
    assert "already published" in project.run("publish", "--story", "night-market").out
