"""The public demo signing key signs unsubscribe links for an outbox only.

Anyone can forge a token with the demo key, since it is in the source. A
server on this machine is no exception: a local Postfix relays to the
Internet. So any SMTP server needs EMAIL_SIGNING_KEY, checked before anything
is sent, and tokens are never read with the demo key for such a destination.
"""

from __future__ import annotations

import email
from email import policy

import pytest

from publisher import Secret
from publisher_email.tokens import DEMO_KEY, SigningKey
from support.mail import READERS, email_config

REFUSAL = (
    "EMAIL_SIGNING_KEY is not set; unsubscribe links signed with the public demo key could be "
    "forged by anyone, so it serves outbox: destinations only. Make a key with "
    "python -c 'import secrets; print(secrets.token_urlsafe(32))' and set EMAIL_SIGNING_KEY to it"
)


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("EMAIL_SIGNING_KEY")


@pytest.mark.parametrize("where", ["local", "remote"])
def test_any_smtp_server_needs_a_signing_key(project, smtp_server, no_key, where):
    url = smtp_server.url() if where == "local" else "smtp://mail.example.org"
    project.write_config(email_config(url))
    project.run("subscribers", "add", READERS[0])

    check = project.run("check")
    publish = project.run("publish", "--story", "night-market", "--to", "newsletter")
    test_copy = project.run("publish", "--story", "night-market", "--test-to", READERS[1])

    assert check.code == 2
    assert f"failed newsletter: {REFUSAL}" in check.out
    assert publish.code == 2, "a configuration problem: nothing is sent, nothing recorded"
    assert publish.err == f"error: newsletter: {REFUSAL}\n"
    assert test_copy.code == 2
    assert test_copy.err == f"error: newsletter: {REFUSAL}\n"
    assert smtp_server.mailbox.count() == 0
    assert "newsletter" not in project.run("status").out


def test_a_key_in_the_destination_settings_does_as_well(project, smtp_server, no_key):
    project.write_config(email_config(smtp_server.url(), 'signing_key = "${NEWSLETTER_KEY}"'))
    project.run("subscribers", "add", READERS[0])

    refused = project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert refused.code == 2
    assert "error: newsletter: NEWSLETTER_KEY is not set; unsubscribe links signed" in refused.err

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSLETTER_KEY", "a-key-of-the-destination-0123456789")
        sent = project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert sent.code == 0, sent.err
    assert smtp_server.mailbox.count() == 1


def test_a_token_forged_with_the_demo_key_unsubscribes_nobody(project, smtp_server, no_key):
    project.write_config(email_config(smtp_server.url()))
    project.run("subscribers", "add", READERS[0])
    forged = SigningKey(Secret("")).token("newsletter", READERS[0])
    assert SigningKey(Secret("")).address("newsletter", forged) == READERS[0]  # as DEMO_KEY signs

    result = project.run("subscribers", "remove", "--token", forged)

    assert result.code == 2
    assert result.err == f"error: {REFUSAL}\n"
    listing = project.run("subscribers", "list", "--status", "active")
    assert READERS[0] in listing.out


def test_the_demo_key_still_signs_for_an_outbox(project, no_key):
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    [path] = (project.root / "outbox").glob("*/*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    token = message["List-Unsubscribe"].split("token=")[1].split(">")[0]
    assert SigningKey(Secret("")).open("unsubscribe", "newsletter", token) is not None
    assert DEMO_KEY not in path.read_text()


def test_the_shipped_configuration_says_what_the_demo_key_is_for(
    tmp_path, capsys, smtp_server, no_key, monkeypatch
):
    """`publisher init`'s configuration, its comment taken at its word: an SMTP server on this
    machine is refused without the key, as any other."""
    from publisher.cli import main
    from support.project import STORY

    folder = tmp_path / "newsroom"
    assert main(["init", str(folder)]) == 0
    lines = (folder / "config" / "publisher.toml").read_text("utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if "EMAIL_SIGNING_KEY" in line)
    comment = " ".join(line.lstrip("# ") for line in lines[start : start + 3])
    assert "accepts only for an outbox: every SMTP server needs the key" in comment
    assert "or an SMTP server on this machine" not in comment

    (folder / "stories" / "night-market.md").write_text(STORY, "utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SMTP_URL", smtp_server.url())  # a server on this machine
    assert main(["subscribers", "add", READERS[0]]) == 0
    capsys.readouterr()
    assert main(["publish", "--story", "night-market", "--to", "newsletter"]) == 2
    assert capsys.readouterr().err == f"error: newsletter: {REFUSAL}\n"
    assert smtp_server.mailbox.count() == 0
