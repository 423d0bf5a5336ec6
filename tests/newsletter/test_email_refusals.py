"""VERP return paths, and refusals at send time counted as bounces: 550 hard, 451 soft."""

from __future__ import annotations

import re
import uuid

import pytest

from publisher import Secret
from publisher_email.tokens import SigningKey
from publisher_email.verp import Verp
from support.mail import READERS, email_config
from support.postgres import postgres_url  # noqa: F401  (a fixture)
from support.project import STORY

KEY = "a-long-random-signing-key-for-the-tests-0123456789"
VERP = 'bounce_address = "bounces@bounces.example.org"\n'
ONE_ATTEMPT = "\n[delivery]\nattempts = 1\n"
RETURN_PATH = re.compile(r"bounces\+([a-z2-7]{16,})@bounces\.example\.org")


@pytest.fixture
def verp_newsletter(project, smtp_server, monkeypatch):
    monkeypatch.setenv("EMAIL_SIGNING_KEY", KEY)
    project.write_config(email_config(smtp_server.url(), VERP + ONE_ATTEMPT))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    for number in range(2, 6):
        story = STORY.replace("Harbour Opens a Night Market", f"Harbour News {number}")
        project.add_story(f"news-{number}.md", story)
    return project


def _verp() -> Verp:
    return Verp("bounces@bounces.example.org", SigningKey(Secret(KEY)), "newsletter")


def _listed(project, status: str) -> list[str]:
    result = project.run("subscribers", "list", "--status", status)
    assert result.code == 0, result.err
    return [line.split()[0] for line in result.out.splitlines()]


def test_each_copy_has_its_own_signed_return_path(verp_newsletter, smtp_server):
    assert verp_newsletter.run("publish", "--story", "night-market").code == 0

    senders = {}
    for address in READERS:
        (arrived,) = smtp_server.mailbox.arrivals(address)
        assert RETURN_PATH.fullmatch(arrived.sender), arrived.sender
        assert address.partition("@")[0] not in arrived.sender  # the token hides the address
        senders[address] = arrived.sender
        assert arrived.message["From"] == "Test News <news@example.org>"  # From is unchanged
    assert len(set(senders.values())) == len(READERS)
    read = {address: _verp().read(sender) for address, sender in senders.items()}
    assert len({send for _, send in read.values()}) == 1  # one edition
    assert len({subscriber for subscriber, _ in read.values()}) == len(READERS)

    sender = senders[READERS[0]]
    token = RETURN_PATH.fullmatch(sender).group(1)
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert _verp().read(sender.replace(token, flipped)) is None
    assert _verp().read(sender.upper()) == read[READERS[0]]  # case-folding mail systems
    other_key = Verp(
        "bounces@bounces.example.org", SigningKey(Secret("another key!")), "newsletter"
    )
    assert other_key.read(sender) is None


def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(newsletter, smtp_server):
    assert newsletter.run("publish", "--story", "night-market").code == 0
    (arrived,) = smtp_server.mailbox.arrivals(READERS[0])
    assert arrived.sender == "news@example.org"


def test_a_550_bounces_at_once_and_three_451_editions_out_of_five_do_too(
    verp_newsletter, smtp_server
):
    mailbox = smtp_server.mailbox
    mailbox.refuse[READERS[0]] = ["550 5.1.1 No such user here"]
    mailbox.refuse[READERS[1]] = ["451 4.2.2 Mailbox full"] * 3

    first = verp_newsletter.run("publish", "--story", "night-market")

    assert first.code == 1  # one copy stayed deferred after the last attempt
    assert "1 recipient(s) deferred" in first.out
    assert _listed(verp_newsletter, "bounced") == [READERS[0]]
    status = verp_newsletter.run("status").out
    assert (
        "story-night-market: 3 copies reached a server (1 accepted, 2 refused), "
        "1 hard bounce(s) 33.3% (limit 1.0%), 1 soft" in status
    )
    assert "warning: newsletter: story-night-market bounced at 33.3%, above 1.0%" in status

    assert verp_newsletter.run("publish", "--story", "news-2").code == 1
    assert _listed(verp_newsletter, "bounced") == [READERS[0]]  # two soft editions: not yet
    assert verp_newsletter.run("publish", "--story", "news-3").code == 1
    assert _listed(verp_newsletter, "bounced") == [READERS[0], READERS[1]]
    assert [len(mailbox.to(address)) for address in READERS] == [0, 0, 3]

    last = verp_newsletter.run("publish", "--story", "news-4")

    assert last.code == 0, last.out + last.err
    assert [len(mailbox.to(address)) for address in READERS] == [0, 0, 4]  # bounced: skipped
    assert (
        "story-news-4: 1 copy reached a server (1 accepted, 0 refused), 0 hard bounce(s)"
        in verp_newsletter.run("status").out
    )


def test_a_deferral_that_a_retry_delivers_is_no_soft_bounce(project, smtp_server):
    project.write_config(
        email_config(smtp_server.url(), "\n[delivery]\nattempts = 2\nfirst_pause = '0s'\n")
    )
    for address in READERS:
        project.run("subscribers", "add", address)
    smtp_server.mailbox.refuse[READERS[1]] = ["451 4.3.0 Try again later"]

    result = project.run("publish", "--story", "night-market")

    assert result.code == 0, result.err
    assert len(smtp_server.mailbox.to(READERS[1])) == 1
    status = project.run("status").out
    assert (
        "story-night-market: 3 copies reached a server (3 accepted, 0 refused), "
        "0 hard bounce(s) 0.0% (limit 1.0%), 0 soft" in status
    )
    assert "warning" not in status


def test_an_import_never_brings_a_bounced_address_back(verp_newsletter, smtp_server, tmp_path):
    smtp_server.mailbox.refuse[READERS[0]] = ["550 5.1.1 No such user here"]
    verp_newsletter.run("publish", "--story", "night-market")
    csv = tmp_path / "readers.csv"
    csv.write_text(f"email,name,status\n{READERS[0]},Ada,active\n")

    assert verp_newsletter.run("subscribers", "import", str(csv)).code == 0

    assert _listed(verp_newsletter, "bounced") == [READERS[0]]


def test_an_address_subscribed_again_on_purpose_starts_with_a_clean_record(
    verp_newsletter, smtp_server
):
    mailbox = smtp_server.mailbox
    mailbox.refuse[READERS[0]] = ["550 5.1.1 No such user here"]
    verp_newsletter.run("publish", "--story", "night-market")
    assert _listed(verp_newsletter, "bounced") == [READERS[0]]

    again = verp_newsletter.run("subscribers", "add", READERS[0])
    mailbox.refuse[READERS[0]] = ["452 4.2.2 Mailbox full"]
    verp_newsletter.run("publish", "--story", "news-2")

    assert "again (was bounced)" in again.out
    assert _listed(verp_newsletter, "bounced") == []  # one soft bounce since: still active
    mailbox.refuse[READERS[0]] = ["550 5.1.1 No such user here"]
    verp_newsletter.run("publish", "--story", "news-3")
    assert _listed(verp_newsletter, "bounced") == [READERS[0]]


def test_the_rules_hold_on_postgresql(project, smtp_server, request, monkeypatch):
    database = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("EMAIL_SIGNING_KEY", KEY)
    own_list = f"readers-{uuid.uuid4().hex[:12]}"  # the server is shared by the whole session
    config = email_config(smtp_server.url(), VERP + f'subscribers = "{own_list}"\n' + ONE_ATTEMPT)
    project.write_config(config.replace("[site]", f'[site]\nstate = "{database}"', 1))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    smtp_server.mailbox.refuse[READERS[0]] = ["550 5.1.1 No such user here"]
    smtp_server.mailbox.refuse[READERS[1]] = ["451 4.2.2 Mailbox full"]

    assert project.run("publish", "--story", "night-market").code == 1

    assert _listed(project, "bounced") == [READERS[0]]
    status = project.run("status").out
    assert (
        "story-night-market: 3 copies reached a server (1 accepted, 2 refused), "
        "1 hard bounce(s) 33.3% (limit 1.0%), 1 soft" in status
    )


def test_a_server_that_refuses_every_copy_bounces_nobody(verp_newsletter, smtp_server):
    """A relay that will not relay answers 550 to every copy: that says nothing about the
    addresses, so none is marked bounced, and the send can be run again once it is fixed."""
    for address in READERS:
        smtp_server.mailbox.refuse[address] = ["550 Relaying denied"]

    refused = verp_newsletter.run("publish", "--story", "night-market")

    assert refused.code == 1
    assert "3 of 3 recipients refused" in refused.out + refused.err
    assert "nobody received it" in refused.out + refused.err
    assert _listed(verp_newsletter, "bounced") == []
    assert "0 hard bounce(s)" in verp_newsletter.run("status").out
    smtp_server.mailbox.refuse.clear()
    again = verp_newsletter.run("publish", "--story", "night-market")
    assert again.code == 0, again.out + again.err
    assert [len(smtp_server.mailbox.to(address)) for address in READERS] == [1, 1, 1]


@pytest.mark.parametrize(
    ("reply", "bounced"),
    [
        ("550 5.1.1 No such user here", True),
        ("550 5.1.2 Domain not found", True),
        ("553 Mailbox name not allowed", True),  # no enhanced code: the basic one decides
        ("550 5.7.1 Message refused as spam", False),  # a policy block, not a dead address
        ("552 5.2.2 Mailbox full", False),
        ("554 Transaction failed", False),
    ],
)
def test_only_a_refusal_of_the_mailbox_itself_is_a_hard_bounce(
    verp_newsletter, smtp_server, reply, bounced
):
    smtp_server.mailbox.refuse[READERS[0]] = [reply]

    result = verp_newsletter.run("publish", "--story", "night-market")

    assert result.code == 1
    assert reply in result.out + result.err  # the refusal is named, whatever it counts as
    assert _listed(verp_newsletter, "bounced") == ([READERS[0]] if bounced else [])
