"""Text from remote servers and the database reaches the operator's terminal inert: a hostile
SMTP reply or a stored consent record cannot write to the clipboard (OSC 52), ring the bell,
clear the screen or rewrite a line (CR)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert

from publisher_email.consent import consent
from support.mail import READERS, email_config

ESCAPES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE_REPLY = "550 5.1.1 \x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\r no such user"


def _inert(text: str) -> None:
    assert not ESCAPES.search(text), f"control characters reached the terminal: {text!r}"


def test_a_hostile_smtp_refusal_is_shown_inert_by_publish_and_status(newsletter, smtp_server):
    smtp_server.mailbox.refuse[READERS[1]] = [HOSTILE_REPLY]

    published = newsletter.run("publish", "--story", "night-market")
    status = newsletter.run("status")

    assert published.code == 1
    for said in (published.out + published.err, status.out + status.err):
        _inert(said)
        assert "5.1.1 ]52;c;cm0gLXJmIH4=[2J no such user" in said.replace("\n", " ")


def test_subscribers_show_prints_stored_text_escaped(newsletter):
    engine = create_engine(f"sqlite:///{newsletter.root / 'state' / 'publisher.db'}")
    with engine.begin() as db:  # as a release before the form checked its fields stored it
        db.execute(
            insert(consent).values(
                list="newsletter",
                address=READERS[0],
                event="requested",
                at=datetime(2026, 11, 20, 8, tzinfo=UTC),
                page="/subscribe\x1b]52;c;cm0gLXJmIH4=\x07\r\u202e",
                client="198.51.100.7\x9b2J",
                detail="form\n",
            )
        )
    engine.dispose()

    shown = newsletter.run("subscribers", "show", READERS[0])

    assert shown.code == 0, shown.err
    _inert(shown.out)
    assert (
        r"requested (form\n) on /subscribe\x1b]52;c;cm0gLXJmIH4=\x07\r\u202e "
        r"from 198.51.100.7\x9b2J"
    ) in shown.out


def test_a_from_name_with_a_bidi_override_is_refused_not_sent(project, smtp_server):
    config = email_config(smtp_server.url()).replace(
        'from = "Test News <news@example.org>"', 'from = "Test \\u202Eswen <news@example.org>"'
    )
    project.write_config(config)

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 2
    assert "destinations.newsletter.from: must be one line" in result.err
    assert "(nor bidi overrides)" in result.err
    assert smtp_server.mailbox.count() == 0
