"""Stopping a send cleanly (SIGINT, SIGTERM) and finishing it later: nobody skipped, nobody twice.

A stop finishes the copies on the wire and records them, so unlike a kill
nothing can arrive twice: every subscriber ends with exactly one copy.
"""

from __future__ import annotations

import re
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from support.mail import email_config

READERS = 300
ADDRESSES = [f"reader{n:03d}@example.org" for n in range(READERS)]
SIGNING_KEY = "a-long-random-signing-key-for-stops-0123456789"
BERLIN = ZoneInfo("Europe/Berlin")


def wait_for(condition, what: str, process=None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None:
            assert process.poll() is None, (what, process.communicate())
        assert time.monotonic() < deadline, f"{what}: not in time"
        time.sleep(0.01)


@pytest.fixture
def newsletter(project, smtp_server, monkeypatch):
    """The project with 300 subscribers, sending slowly enough to be stopped midway."""
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)
    project.write_config(email_config(smtp_server.url(), "connections = 4"))
    csv = project.root / "readers.csv"
    csv.write_text("email\n" + "\n".join(ADDRESSES) + "\n", encoding="utf-8")
    assert project.run("subscribers", "import", str(csv)).code == 0
    smtp_server.mailbox.hold = 0.05
    return project


def each_once(mailbox) -> dict[str, int]:
    """The subscribers who did not get exactly one copy, with how many they got."""
    copies = {address: len(mailbox.to(address)) for address in ADDRESSES}
    return {address: n for address, n in copies.items() if n != 1}


@pytest.mark.slow
@pytest.mark.parametrize("how, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_publish_says_how_to_resume_and_loses_nothing(newsletter, smtp_server, how, code):
    mailbox = smtp_server.mailbox
    sender = newsletter.spawn("publish", "--story", "night-market", "--to", "newsletter")
    wait_for(lambda: mailbox.count() >= READERS // 3, "the send", sender)
    sender.send_signal(how)
    out, err = sender.communicate(timeout=60)

    assert sender.returncode == code, err
    assert re.search(r"newsletter: stopped part 1 of 1: stopped at \d+ of 300 recipients", out)
    resume = [line for line in err.splitlines() if "to send the rest, run" in line]
    assert len(resume) == 1, err
    assert f"stopped by {how.name}: newsletter left unfinished" in resume[0]
    assert "publish --story night-market --to newsletter`" in resume[0]
    stopped_at = mailbox.count()
    assert stopped_at < READERS
    status = newsletter.run("status").out
    assert "stopped" in status and "running" not in status

    mailbox.hold = 0
    resumed = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")
    assert resumed.code == 0, resumed.out + resumed.err
    assert each_once(mailbox) == {}


@pytest.mark.slow
def test_a_one_off_send_stopped_by_sigterm_is_finished_by_the_next_start(newsletter, smtp_server):
    mailbox = smtp_server.mailbox
    at = datetime.now(BERLIN) + timedelta(seconds=2)
    stored = newsletter.run(
        "publish", "--story", "night-market", "--to", "newsletter", "--at", at.isoformat()
    )
    assert stored.code == 0, stored.err
    job = re.search(r"Scheduled (once:\S+) for", stored.out)[1]
    wait_for(lambda: datetime.now(BERLIN) > at, "the job's time")

    first = newsletter.spawn("-v", "schedule", "run")
    wait_for(lambda: mailbox.count() >= READERS // 3, "the scheduled send", first)
    first.send_signal(signal.SIGTERM)
    _, said = first.communicate(timeout=60)
    assert first.returncode == 0, said
    assert "ERROR" not in said
    assert f"INFO publisher.scheduler: {job}: newsletter: stopped part 1 of 1: stopped at" in said
    assert mailbox.count() < READERS

    listed = newsletter.run("schedule", "list").out
    assert job in listed
    assert "next run: unfinished; the next start of `publisher schedule run` finishes it" in listed
    assert "last run: " in listed and ": stopped: newsletter: stopped part 1 of 1" in listed
    status = newsletter.run("status").out
    assert f"job {job}: unfinished" in status and "stopped" in status

    mailbox.hold = 0
    second = newsletter.spawn("schedule", "run")
    try:
        wait_for(lambda: mailbox.count() >= READERS, "the rest of the send", second)
        wait_for(lambda: job not in newsletter.run("schedule", "list").out, "the job to end")
    finally:
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert f"finishing the one-off job {job}" in out
    assert each_once(mailbox) == {}
    assert "done" in newsletter.run("status").out


@pytest.mark.slow
def test_status_after_a_stop_counts_only_the_copies_that_reached_the_server(
    newsletter, smtp_server
):
    mailbox = smtp_server.mailbox
    mailbox.refuse[ADDRESSES[0]] = ["550 5.1.1 No such user here"]
    sender = newsletter.spawn("publish", "--story", "night-market", "--to", "newsletter")
    wait_for(lambda: mailbox.count() >= READERS // 3, "the send", sender)
    sender.send_signal(signal.SIGTERM)
    _, err = sender.communicate(timeout=60)
    assert sender.returncode == 143, err
    accepted = mailbox.count()
    assert accepted < READERS - 10, "claimed but unsent copies are left"

    status = newsletter.run("status").out

    reached = accepted + 1
    copies = "copy" if reached == 1 else "copies"
    assert (
        f"story-night-market: {reached} {copies} reached a server "
        f"({accepted} accepted, 1 refused), 1 hard bounce(s) {1 / reached:.1%}"
    ) in status
