"""`outbox:FOLDER`: .eml files in the project folder; test sends; the demo signing key."""

from __future__ import annotations

import email
from email import policy

from support.mail import READERS, email_config


def _read(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_outbox_writes_one_eml_per_reader_in_the_project_folder(project, tmp_path, monkeypatch):
    project.write_config(email_config("outbox:outbox"))
    for address in READERS:
        project.run("subscribers", "add", address)
    monkeypatch.chdir(tmp_path)  # run from elsewhere: the folder is the project's, not ours

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    files = sorted((project.root / "outbox" / "story-night-market").glob("*.eml"))
    assert [path.name for path in files] == [f"{address}.eml" for address in READERS]
    assert not list(tmp_path.glob("outbox"))
    message = _read(files[0])
    assert message["To"] == READERS[0]
    assert message["Subject"] == "Harbour Opens a Night Market"
    assert message.get_content_type() == "multipart/alternative"
    assert "Lanterns on the Quay" in message.get_body(("plain",)).get_content()
    assert "Lanterns on the Quay" in message.get_body(("html",)).get_content()
    assert not message.defects


def test_a_digest_goes_to_the_outbox_too(project):
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])
    project.add_story("second.md", SECOND)

    result = project.run("digest", "--since", "3650d", "--to", "newsletter")

    assert result.code == 0, result.err
    (path,) = (project.root / "outbox").glob("digest-*/*.eml")
    html = _read(path).get_body(("html",)).get_content()
    assert "Harbour Opens a Night Market" in html and "Ferries Run All Night" in html


def test_a_test_send_reaches_one_address_and_nothing_else(project, smtp_server):
    project.write_config(email_config(smtp_server.url()))
    project.run("subscribers", "add", READERS[0])

    result = project.run(
        "publish",
        "--story",
        "night-market",
        "--to",
        "newsletter",
        "--test-to",
        "Editor@Example.org",
    )

    assert result.code == 0, result.err
    assert "newsletter: sent test copy to Editor@Example.org" in result.out
    assert smtp_server.mailbox.to(READERS[0]) == []
    (copy,) = smtp_server.mailbox.to("editor@example.org")
    assert copy["Subject"] == "Harbour Opens a Night Market"
    assert project.run("status").out.strip() == "Nothing has been published yet."
    # The ledger was not touched: the real send still goes to every subscriber.
    assert project.run("publish", "--story", "night-market", "--to", "newsletter").code == 0
    assert len(smtp_server.mailbox.to(READERS[0])) == 1


def test_a_test_send_to_a_bad_address_is_refused(project, smtp_server):
    project.write_config(email_config(smtp_server.url()))

    result = project.run("publish", "--story", "night-market", "--test-to", "editor@")

    assert result.code == 2, "bad input"
    [line] = result.err.splitlines()
    assert line.startswith("error: --test-to: 'editor@' is not an email address: ")
    assert smtp_server.mailbox.count() == 0


def test_a_test_address_with_a_line_break_is_one_line_exit_2(project, smtp_server):
    project.write_config(email_config(smtp_server.url()))

    result = project.run(
        "publish", "--story", "night-market", "--test-to", "me@example.org\r\nBcc: x@evil.example"
    )

    assert result.code == 2
    assert result.err == (
        "error: --test-to: 'me@example.org\\r\\nBcc: x@evil.example' must be one address on "
        "one line\n"
    )
    assert result.out == ""
    assert smtp_server.mailbox.count() == 0


def test_check_reports_the_demo_signing_key(project, monkeypatch):
    monkeypatch.delenv("EMAIL_SIGNING_KEY")
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])

    result = project.run("check")

    assert result.code == 0
    assert "ok newsletter (email)" in result.out
    assert "warning: EMAIL_SIGNING_KEY is not set" in result.out
    assert "public demo key (accepted for an outbox only)" in result.out


def test_a_configured_key_signs_and_never_shows(project, monkeypatch):
    monkeypatch.setenv("EMAIL_SIGNING_KEY", "a-long-random-signing-key-0123456789")
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])

    check = project.run("check")
    project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert "demo key" not in check.out
    (path,) = (project.root / "outbox").glob("*/*.eml")
    message = path.read_text()
    token = _read(path)["List-Unsubscribe"].split(",")[0].strip("<> ").partition("token=")[2]
    assert "a-long-random-signing-key" not in message + check.out + check.err
    assert project.run("subscribers", "remove", "--token", token).code == 0
    monkeypatch.setenv("EMAIL_SIGNING_KEY", "another-key-entirely-9876543210")
    assert project.run("subscribers", "remove", "--token", token).code == 2


SECOND = """\
---
headline: Ferries Run All Night
dek: A late boat for the market crowd.
published: 2026-11-21T18:00:00+01:00
---

## Timetable

Boats leave every hour until three.
"""
