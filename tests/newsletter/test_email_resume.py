"""Kill a real sending process mid-send (SIGKILL), restart it: everyone gets the message once,
except the copies that were in flight at a kill (on the wire, or answered and not yet
recorded by the send's writer), which arrive twice as the same message. There are never
more of those than `in_flight(connections)`, even when the writer cannot write at all."""

from __future__ import annotations

import sqlite3
import time

import pytest

from publisher_email.settling import in_flight
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


def _readers(project, smtp_server) -> list[str]:
    project.write_config(email_config(smtp_server.url(), f"connections = {CONNECTIONS}"))
    addresses = [f"reader{n:03d}@example.org" for n in range(READERS)]
    csv = project.root / "readers.csv"
    csv.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    assert project.run("subscribers", "import", str(csv)).code == 0
    return addresses


@pytest.mark.slow
def test_a_killed_send_resumes_without_skipping_anyone(project, smtp_server):
    addresses = _readers(project, smtp_server)
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
    assert extra <= 2 * in_flight(CONNECTIONS)  # at most the copies in flight, per kill
    for repeated in (c for c in copies.values() if len(c) > 1):
        assert len({message["Message-ID"] for message in repeated}) == 1
    # A third run has nothing left to send.
    assert "already published" in project.run("publish", "--story", "night-market").out


def _settles_no_more(mailbox: Mailbox) -> int:
    """The server's count once it has stopped growing for half a second (at most 10 s)."""
    seen, since, deadline = mailbox.count(), time.monotonic(), time.monotonic() + 10
    while time.monotonic() - since < 0.5 and time.monotonic() < deadline:
        time.sleep(0.05)
        if mailbox.count() != seen:
            seen, since = mailbox.count(), time.monotonic()
    return seen


@pytest.mark.slow
def test_a_send_whose_writer_is_stalled_stops_at_the_in_flight_bound(project, smtp_server):
    """With the state database locked, nothing the workers send can be recorded: the send
    goes on only until `in_flight(connections)` copies wait, and a kill then repeats no more."""
    addresses = _readers(project, smtp_server)
    mailbox = smtp_server.mailbox
    sender = project.spawn("publish", "--story", "night-market", "--to", "newsletter")
    deadline = time.monotonic() + 60
    while mailbox.count() < 10:
        assert sender.poll() is None, sender.communicate()
        assert time.monotonic() < deadline, "the send never got going"
        time.sleep(0.005)
    lock = sqlite3.connect(project.root / "state" / "publisher.db", isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # the writer's next commit waits for this
        received = _settles_no_more(mailbox)
        assert sender.poll() is None  # held, not finished
        sender.kill()
        sender.communicate()
        lock.execute("ROLLBACK")
        recorded = lock.execute(
            "SELECT count(*) FROM email_recipients WHERE status = 'sent'"
        ).fetchone()[0]
    finally:
        lock.close()
    unrecorded = received - recorded
    assert 0 < unrecorded <= in_flight(CONNECTIONS)
    assert received < READERS

    resumed = project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert resumed.code == 0, resumed.out + resumed.err
    copies = {address: mailbox.to(address) for address in addresses}
    assert all(copies.values()), [a for a, c in copies.items() if not c]
    assert mailbox.count() - READERS == unrecorded <= in_flight(CONNECTIONS)
