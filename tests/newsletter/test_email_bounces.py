"""Bounces and complaints read back from a real IMAP server (Dovecot) or a Maildir.

The reports are built from the copies the local SMTP server received, as the
remote mail server or a mailbox provider's feedback loop would build them,
and delivered into the bounce mailbox; then `publisher bounces fetch` reads them.
"""

from __future__ import annotations

import mailbox
import threading
import time
from datetime import UTC, datetime, timedelta

import dkim
import pytest
import time_machine

from publisher.job_book import BOUNCES
from publisher.run_history import History
from publisher.scheduler import Scheduler
from publisher.workspace import Workspace
from publisher_email.bounce_fetch import fetch_bounces
from support.deliverability import arf, dns_record, dsn, qmail_bounce, rsa_key_pem
from support.imap import PASSWORD
from support.mail import email_config

pytestmark = pytest.mark.slow

KEY = "a-long-random-signing-key-for-the-tests-0123456789"
READERS = [f"reader{n}@example.org" for n in range(5)]
SETTINGS = """
bounce_address = "bounces@bounces.example.org"
bounce_mailbox = "${BOUNCE_IMAP_URL}"
dkim_selector = "news2026"
dkim_domain = "example.org"
dkim_private_key = "dkim.pem"
"""
SECOND_STORY = """\
---
headline: Ferry Fares Fall
published: 2026-11-21T09:00:00+01:00
---

## Cheaper Crossings

The harbour ferry costs less from Monday.
"""


def _newsletter(project, smtp_server, monkeypatch, url: str, settings: str = SETTINGS):
    monkeypatch.setenv("EMAIL_SIGNING_KEY", KEY)
    monkeypatch.setenv("BOUNCE_IMAP_URL", url)
    pem = rsa_key_pem()
    (project.root / "dkim.pem").write_text(pem)
    project.write_config(email_config(smtp_server.url(), settings))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    project.add_story("ferry-fares.md", SECOND_STORY)
    return pem


def _listed(project, status: str) -> list[str]:
    result = project.run("subscribers", "list", "--status", status)
    assert result.code == 0, result.err
    return [line.split()[0] for line in result.out.splitlines()]


def _forged(copy, sender: str):
    return type(copy)(sender, copy.recipients, copy.message, copy.peer, copy.raw)


def test_bounces_and_a_complaint_from_imap_stop_exactly_the_right_subscribers(
    project, smtp_server, dovecot, monkeypatch
):
    pem = _newsletter(project, smtp_server, monkeypatch, dovecot.url())
    assert project.run("publish", "--story", "night-market").code == 0
    copies = {address: smtp_server.mailbox.arrivals(address)[0] for address in READERS}
    token = copies[READERS[2]].sender.partition("+")[2].partition("@")[0]
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    reports = [
        dsn(copies[READERS[0]], "5.1.1", "550 5.1.1 <reader0@example.org>: user unknown"),
        dsn(copies[READERS[1]], "4.2.2", "452 4.2.2 mailbox full"),
        dsn(copies[READERS[2]], "4.4.1", "connection timed out", action="delayed"),
        arf(copies[READERS[3]], "bounces@bounces.example.org"),
        qmail_bounce(copies[READERS[4]]),
        # Forgeries naming reader2: a token altered, and no token at all.
        dsn(
            _forged(copies[READERS[2]], copies[READERS[2]].sender.replace(token, flipped)),
            "5.1.1",
            "x",
        ),
        dsn(_forged(copies[READERS[2]], "bounces@bounces.example.org"), "5.1.1", "x"),
    ]
    dovecot.deliver(*reports)

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 0, fetched.err
    assert "7 message(s) read from IMAP 127.0.0.1:" in fetched.out
    assert "3 bounce(s), 1 complaint(s), 0 already counted, 3 ignored" in fetched.out
    assert PASSWORD not in fetched.out + fetched.err
    assert _listed(project, "bounced") == [READERS[0], READERS[4]]
    assert _listed(project, "complained") == [READERS[3]]
    assert _listed(project, "active") == [READERS[1], READERS[2]]  # one soft bounce: not yet
    assert all("PublisherDone" in flags for flags in dovecot.flags())

    again = project.run("bounces", "fetch")
    assert again.code == 0, again.err
    assert "0 message(s) read" in again.out
    dovecot.deliver(reports[0])  # the same bounce delivered twice by the remote server
    assert "1 already counted" in project.run("bounces", "fetch").out
    assert _listed(project, "bounced") == [READERS[0], READERS[4]]

    status = project.run("status").out
    assert (
        "story-night-market: 5 copies reached a server (5 accepted, 0 refused), "
        "2 hard bounce(s) 40.0% (limit 1.0%), 1 soft" in status
    )
    assert "1 complaint(s) 20.00% (limit 0.10%)" in status
    assert "warning: newsletter: story-night-market drew complaints at 20.00%" in status

    assert project.run("publish", "--story", "ferry-fares").code == 0
    second = [
        arrival
        for address in READERS
        for arrival in smtp_server.mailbox.arrivals(address)
        if arrival.message["Subject"] == "Ferry Fares Fall"
    ]
    assert sorted(a.recipients[0] for a in second) == [READERS[1], READERS[2]]
    record = dns_record(pem).encode()
    for arrival in second:
        assert dkim.verify(arrival.raw, dnsfunc=lambda name, timeout=5: record)


def test_imap_with_starttls_reads_the_same(project, smtp_server, dovecot, monkeypatch):
    _newsletter(project, smtp_server, monkeypatch, dovecot.url("imap"))
    project.run("publish", "--story", "night-market")
    (copy,) = smtp_server.mailbox.arrivals(READERS[0])
    dovecot.deliver(dsn(copy, "5.1.1", "550 user unknown"))

    fetched = project.run("bounces", "fetch", "--to", "newsletter")

    assert fetched.code == 0, fetched.err
    assert "1 bounce(s)" in fetched.out
    assert _listed(project, "bounced") == [READERS[0]]


def test_a_refused_login_is_one_clear_line_without_the_password(
    project, smtp_server, dovecot, monkeypatch
):
    url = dovecot.url().replace(PASSWORD, "wrong-password")
    _newsletter(project, smtp_server, monkeypatch, url)

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 1
    assert f"IMAP 127.0.0.1:{dovecot.imaps_port} folder INBOX" in fetched.err
    assert "Authentication failed" in fetched.err
    assert "wrong-password" not in fetched.err and "Traceback" not in fetched.err


def test_without_a_mailbox_fetch_says_what_to_set(newsletter):
    fetched = newsletter.run("bounces", "fetch")

    assert fetched.code == 2
    assert "no bounce_mailbox is configured" in fetched.err


def test_a_maildir_moves_what_it_read_into_processed(project, smtp_server, monkeypatch):
    folder = project.root / "bounces"
    box = mailbox.Maildir(folder, create=True)
    _newsletter(project, smtp_server, monkeypatch, "maildir:bounces")
    project.run("publish", "--story", "night-market")
    box.add(arf(smtp_server.mailbox.arrivals(READERS[3])[0], "fbl@bounces.example.org"))

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 0, fetched.err
    assert f"1 message(s) read from Maildir {folder}: 0 bounce(s), 1 complaint(s)" in fetched.out
    assert _listed(project, "complained") == [READERS[3]]
    assert len(box) == 0 and len(box.get_folder("Processed")) == 1
    assert "0 message(s) read" in project.run("bounces", "fetch").out


def test_without_verp_the_report_names_the_recipient_and_its_message_id_the_edition(
    project, smtp_server, monkeypatch
):
    box = mailbox.Maildir(project.root / "bounces", create=True)
    plain = 'bounce_mailbox = "maildir:bounces"\n'
    _newsletter(project, smtp_server, monkeypatch, "", settings=plain)
    project.run("publish", "--story", "night-market")
    project.run("publish", "--story", "ferry-fares")
    first = smtp_server.mailbox.arrivals(READERS[0])[0]
    assert first.sender == "news@example.org"  # no VERP
    box.add(dsn(first, "5.1.1", "550 5.1.1 user unknown"))

    assert "1 bounce(s)" in project.run("bounces", "fetch").out

    assert _listed(project, "bounced") == [READERS[0]]
    status = project.run("status").out
    assert (
        "story-night-market: 5 copies reached a server (5 accepted, 0 refused), 1 hard bounce(s)"
        in status
    )  # the edition it was
    assert (
        "story-ferry-fares: 5 copies reached a server (5 accepted, 0 refused), 0 hard bounce(s)"
        in status
    )


def test_the_scheduler_reads_the_mailbox_every_15_minutes(project, smtp_server, monkeypatch):
    box = mailbox.Maildir(project.root / "bounces", create=True)
    every = SETTINGS + '\n[bounces]\nevery = "15m"\n'
    _newsletter(project, smtp_server, monkeypatch, "maildir:bounces", settings=every)
    project.run("publish", "--story", "night-market")
    box.add(dsn(smtp_server.mailbox.arrivals(READERS[1])[0], "5.2.1", "550 5.2.1 disabled"))
    start = datetime.now(UTC)
    with time_machine.travel(start), Scheduler(Workspace.open(project.config)) as running:
        assert running.reconcile() == ["added bounces (every 15m)"]
        # The job store keeps this text: renaming the function would strand stored jobs.
        assert running.jobs.get_job(BOUNCES).func_ref == "publisher.scheduler:run_bounces"
    assert _listed(project, "bounced") == []  # nothing read before its time

    with time_machine.travel(start + timedelta(minutes=16)):
        with Scheduler(Workspace.open(project.config)) as running:
            assert running.reconcile() == []  # unchanged: keeps its next run
            running.jobs.resume()
            engine = Workspace.open(project.config).state.engine
            for _ in range(400):
                if BOUNCES in History(engine).last():
                    break
                time.sleep(0.05)
        listed = project.run("schedule", "list").out

    assert _listed(project, "bounced") == [READERS[1]]
    assert "bounces: read the bounce mailboxes" in listed
    assert "every 15m" in listed
    assert "done: newsletter: 1 message(s) read from Maildir" in listed


def test_check_logs_in_to_the_bounce_mailbox(project, smtp_server, dovecot, monkeypatch):
    _newsletter(project, smtp_server, monkeypatch, dovecot.url("imap"))

    result = project.run("check")

    assert result.code == 0, result.out + result.err
    assert f"bounces from IMAP 127.0.0.1:{dovecot.imap_port} folder INBOX" in result.out


def test_unreadable_and_unrelated_messages_are_ignored_and_marked(
    project, smtp_server, monkeypatch
):
    box = mailbox.Maildir(project.root / "bounces", create=True)
    _newsletter(project, smtp_server, monkeypatch, "maildir:bounces")
    garbage = box.add(b"\x00\xff garbage without headers \r\n\r\n\xfe")
    box.add(b"From: friend@example.net\r\nSubject: thanks!\r\n\r\nLoved the last issue.\r\n")
    box.add(b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno parts")
    box.add(bytes(range(256)) * 8)  # binary: a flufl.bounce detector trips on it

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 0, fetched.err
    assert "4 message(s) read" in fetched.out and "4 ignored" in fetched.out
    assert "Traceback" not in fetched.err
    unreadable = [line for line in fetched.err.splitlines() if "is unreadable" in line]
    assert len(unreadable) == 3, fetched.err  # all but the friend's thanks
    assert f"message {garbage} is unreadable (IndexError: " in fetched.err
    assert all(line.endswith("counted as ignored and marked read") for line in unreadable)
    assert len(fetched.err.splitlines()) == 3, "one line for each, nothing else"
    assert _listed(project, "active") == READERS
    assert "0 message(s) read" in project.run("bounces", "fetch").out


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "imaps://bounces@mail.example.org/INBOX",
            "destinations.newsletter.bounce_mailbox: the IMAP URL needs a user and password",
        ),
        (
            "pop3://bounces:s3cr3t-pw@mail.example.org",
            "destinations.newsletter.bounce_mailbox: must be imaps://user:password@host/FOLDER",
        ),
    ],
)
def test_a_bad_mailbox_url_is_one_line_naming_the_key(project, smtp_server, monkeypatch, url, said):
    _newsletter(project, smtp_server, monkeypatch, "maildir:bounces")
    monkeypatch.setenv("BOUNCE_IMAP_URL", url)

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 2
    assert said in fetched.err
    assert "s3cr3t-pw" not in fetched.err and "Traceback" not in fetched.err


def test_an_unset_mailbox_variable_is_named(project, smtp_server, monkeypatch):
    _newsletter(project, smtp_server, monkeypatch, "maildir:bounces")
    monkeypatch.delenv("BOUNCE_IMAP_URL")

    fetched = project.run("bounces", "fetch")

    assert fetched.code == 2
    assert (
        "newsletter.bounce_mailbox: environment variable BOUNCE_IMAP_URL is not set" in fetched.err
    )


def test_two_fetches_at_once_count_each_bounce_once(project, smtp_server, dovecot, monkeypatch):
    _newsletter(project, smtp_server, monkeypatch, dovecot.url())
    project.run("publish", "--story", "night-market")
    copies = [smtp_server.mailbox.arrivals(address)[0] for address in READERS]
    dovecot.deliver(*(dsn(copy, "5.1.1", "550 user unknown") for copy in copies))
    [destination] = Workspace.open(project.config).destinations(["newsletter"])
    summaries = []

    def fetch() -> None:
        summaries.append(fetch_bounces(destination))

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(summaries) == 2
    assert sum(s.bounces for s in summaries) == len(READERS)  # each counted by one fetch only
    assert _listed(project, "bounced") == READERS
