"""Sending through a real SMTP server on 127.0.0.1: what each subscriber receives."""

from __future__ import annotations

import re
import time

import pytest

from publisher import DeliveryError
from publisher_email.channel import EmailChannel
from support.mail import READERS, DirectSend, email_config


def test_each_active_subscriber_gets_one_copy_with_every_header(newsletter, smtp_server):
    newsletter.run("subscribers", "remove", READERS[2])

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    assert "newsletter: sent" in result.out
    mailbox = smtp_server.mailbox
    assert mailbox.count() == 2
    assert mailbox.to(READERS[2]) == []
    for address in READERS[:2]:
        (message,) = mailbox.to(address)
        assert message["From"] == "Test News <news@example.org>"
        assert message["To"] == address
        assert message["Subject"] == "Harbour Opens a Night Market"
        assert message["Date"] is not None and message["Date"].datetime.tzinfo is not None
        assert re.fullmatch(r"<[0-9a-f]{40}@example\.org>", message["Message-ID"])
        assert message["List-Id"] == "Test News <newsletter.news.example.org>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = (link.strip(" <>") for link in message["List-Unsubscribe"].split(","))
        assert https.startswith("https://news.example.org/unsubscribe?token=")
        assert mailto.startswith("mailto:leave@news.example.org?subject=unsubscribe%20")
        token = https.partition("token=")[2]
        assert mailto.endswith(token)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for body in (text, html):
            assert "Harbour Opens a Night Market" in body
            assert "When does it open?" in body
            assert token in body  # the footer's unsubscribe link is this reader's own
            assert "%%" not in body
        assert "Portville" in text and "Portville" in html


def test_the_token_in_a_message_unsubscribes_its_reader(newsletter, smtp_server):
    newsletter.run("publish", "--story", "night-market", "--to", "newsletter")
    (message,) = smtp_server.mailbox.to(READERS[1])
    token = message["List-Unsubscribe"].split(",")[0].strip(" <>").partition("token=")[2]

    result = newsletter.run("subscribers", "remove", "--token", token)

    assert result.code == 0, result.err
    assert f"{READERS[1]} is now unsubscribed" in result.out
    listing = newsletter.run("subscribers", "list", "--status", "active").out
    assert READERS[1] not in listing and READERS[0] in listing


def test_a_forged_token_is_refused(newsletter):
    result = newsletter.run("subscribers", "remove", "--token", "cmVhZGVyMEBleGFtcGxlLm9yZw.AAAA")

    assert result.code == 2
    assert "not a token of list 'newsletter'" in result.err


def test_publishing_again_sends_nothing(newsletter, smtp_server):
    newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    again = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert again.code == 0
    assert "already published" in again.out
    assert smtp_server.mailbox.count() == 3


def test_copies_share_a_few_reused_connections(project, smtp_server):
    project.write_config(email_config(smtp_server.url(), "connections = 2"))
    for n in range(20):
        project.run("subscribers", "add", f"r{n}@example.org")

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    assert smtp_server.mailbox.count() == 20
    assert smtp_server.mailbox.connections() <= 2
    assert "20/20" in result.err  # the progress bar reached the end


def test_a_permanent_refusal_fails_the_send_and_names_who_refused(newsletter, smtp_server):
    smtp_server.mailbox.refuse[READERS[1]] = ["550 5.1.1 No such user here"]

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 1, result.err
    assert (
        f"newsletter: failed part 1 of 1: 1 of 3 recipients refused: {READERS[1]}: "
        "550 5.1.1 No such user here" in result.out
    )
    assert "1 destination failed: newsletter" in result.err
    assert len(smtp_server.mailbox.to(READERS[0])) == 1
    assert len(smtp_server.mailbox.to(READERS[2])) == 1
    assert smtp_server.mailbox.to(READERS[1]) == []
    status = newsletter.run("status").out
    assert (
        f"partly delivered newsletter: story-night-market: 1 of 3 recipients refused: {READERS[1]}"
        in status
    )
    # Those who have it never get it again: the send went out, as far as it could.
    again = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")
    assert again.code == 0 and "already published" in again.out
    assert smtp_server.mailbox.count() == 2


def test_a_send_every_recipient_refused_is_not_sent(newsletter, smtp_server):
    for address in READERS:
        smtp_server.mailbox.refuse[address] = ["550 5.7.1 Relaying denied"]

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 1
    assert "newsletter: failed part 1 of 1: 3 of 3 recipients refused: " in result.out
    assert f"{READERS[0]}: 550 5.7.1 Relaying denied" in result.out
    assert "nobody received it" in result.out and "sent" not in result.out
    assert "run it again to resume where it stopped" in result.err
    assert smtp_server.mailbox.count() == 0
    assert "0/1" in newsletter.run("status").out
    # Once the server accepts them, running it again reaches everyone, once.
    resumed = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")
    assert resumed.code == 0, resumed.out + resumed.err
    assert "newsletter: sent" in resumed.out
    assert [len(smtp_server.mailbox.to(address)) for address in READERS] == [1, 1, 1]


def test_a_temporary_refusal_is_retried_later(newsletter, smtp_server):
    smtp_server.mailbox.refuse[READERS[1]] = ["451 4.3.0 Try again later"]

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    assert "deferred" in result.err  # the first pass said so, the retry delivered
    for address in READERS:
        assert len(smtp_server.mailbox.to(address)) == 1


def test_no_subscribers_is_an_error_not_a_silent_success(project, smtp_server):
    project.write_config(email_config(smtp_server.url()))

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 2
    assert "list 'newsletter' has no active subscribers" in result.err
    assert "publisher subscribers add" in result.err
    assert smtp_server.mailbox.count() == 0


def test_check_fails_for_an_empty_list_as_publishing_would(project, smtp_server):
    project.write_config(email_config(smtp_server.url()))

    empty = project.run("check")
    project.run("subscribers", "add", READERS[0])
    filled = project.run("check")

    assert empty.code == 2
    assert "failed newsletter: list 'newsletter' has no active subscribers" in empty.out
    assert "publisher subscribers add ADDRESS --to newsletter" in empty.out
    assert filled.code == 0, filled.out
    assert "ok newsletter (email): from Test News <news@example.org> via SMTP server" in filled.out
    assert filled.out.endswith("; 1 active on list 'newsletter'\n")
    assert smtp_server.mailbox.count() == 0


def test_crlf_in_a_subject_pattern_never_becomes_a_header(project, smtp_server):
    project.write_config(
        email_config(smtp_server.url(), 'subject = "{headline}\\r\\nBcc: spy@example.net"')
    )
    project.run("subscribers", "add", READERS[0])

    assert project.run("publish", "--story", "night-market", "--to", "newsletter").code == 0

    (message,) = smtp_server.mailbox.to(READERS[0])
    assert message["Bcc"] is None
    assert message["Subject"] == "Harbour Opens a Night Market Bcc: spy@example.net"
    assert smtp_server.mailbox.received[0].recipients == (READERS[0],)


def test_a_rate_limit_spaces_the_copies(project, smtp_server):
    project.write_config(email_config(smtp_server.url(), 'rate_limit = "20/s"'))
    for n in range(6):
        project.run("subscribers", "add", f"r{n}@example.org")

    started = time.monotonic()
    result = project.run("publish", "--story", "night-market", "--to", "newsletter")
    elapsed = time.monotonic() - started

    assert result.code == 0, result.err
    assert smtp_server.mailbox.count() == 6
    assert elapsed >= 5 / 20  # six copies, evenly spaced at 20 a second


@pytest.mark.parametrize(("toml", "shown"), [('"fast"', "fast"), ('"0/s"', "0/s"), ("10", "10")])
def test_a_rate_limit_needs_a_unit_and_a_positive_count(project, toml, shown):
    project.write_config(email_config("outbox:outbox", f"rate_limit = {toml}"))

    result = project.run("check")

    assert result.code == 2
    assert f"rate_limit: '{shown}' is not a rate such as 10/s, 600/min or 20000/h" in result.err


def test_lists_longer_than_a_page_are_read_whole(project, smtp_server, monkeypatch):
    monkeypatch.setattr("publisher_email.storage.PAGE", 2)  # five readers: pages of 2, 2, 1
    project.write_config(email_config(smtp_server.url()))
    readers = [f"r{n}@example.org" for n in range(5)]
    for address in readers:
        project.run("subscribers", "add", address)
    project.run("subscribers", "remove", readers[1])

    listed = project.run("subscribers", "list", "--status", "active")
    sent = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert [line.split()[0] for line in listed.out.splitlines()] == readers[:1] + readers[2:]
    assert sent.code == 0, sent.err
    assert sorted(a for r in smtp_server.mailbox.received for a in r.recipients) == (
        readers[:1] + readers[2:]
    )


def test_a_shutdown_stops_at_a_safe_point_and_the_next_run_finishes(tmp_path, smtp_server):
    send = DirectSend.to(tmp_path, smtp_server.url(), [f"r{n:02d}@example.org" for n in range(30)])
    channel = EmailChannel()
    part = channel.render(send.edition, send.destination).parts[0]
    try:
        with pytest.raises(DeliveryError, match=r"stopped at \d+ of 30 recipients; the next run"):
            channel.deliver(part, send.context(stopping=lambda: smtp_server.mailbox.count() >= 10))
        stopped_at = smtp_server.mailbox.count()
        channel.deliver(part, send.context(in_flight=True))
    finally:
        channel.close()

    assert 10 <= stopped_at < 30
    assert smtp_server.mailbox.count() == 30
    assert all(len(smtp_server.mailbox.to(f"r{n:02d}@example.org")) == 1 for n in range(30))


def test_a_stop_check_that_fails_ends_the_send_with_its_error(tmp_path, smtp_server):
    """The stop check asks the ledger for the run's hold; when that fails the send ends with
    the error, every copy left pending for the next run, and no worker waits forever."""
    send = DirectSend.to(tmp_path, smtp_server.url(), [f"r{n:02d}@example.org" for n in range(30)])
    channel = EmailChannel()
    part = channel.render(send.edition, send.destination).parts[0]

    def lost() -> bool:
        raise RuntimeError("the ledger could not be reached")

    try:
        with pytest.raises(RuntimeError, match="the ledger could not be reached"):
            channel.deliver(part, send.context(stopping=lost))
    finally:
        channel.close()
    assert smtp_server.mailbox.count() == 0
