"""DKIM: every copy Publisher sends carries a signature that dkimpy's own verifier accepts."""

from __future__ import annotations

import re

import dkim
import pytest

from support.deliverability import dns_record, ed25519_key_pem, rsa_key_pem
from support.mail import READERS, email_config

DKIM_SETTINGS = """
dkim_selector = "news2026"
dkim_domain = "example.org"
dkim_private_key = "${DKIM_KEY}"
"""
SIGNED = [
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
]


def _dns(record: str):
    """dkimpy's DNS lookup, answering for our selector only."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record.encode() if name == b"news2026._domainkey.example.org." else None

    return lookup


def _signed_newsletter(project, smtp_server, pem: str, monkeypatch, as_file: bool):
    if as_file:
        (project.root / "dkim.pem").write_text(pem)
        monkeypatch.setenv("DKIM_KEY", "dkim.pem")  # relative to the project folder
    else:
        monkeypatch.setenv("DKIM_KEY", pem)
    project.write_config(email_config(smtp_server.url(), DKIM_SETTINGS))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0


@pytest.mark.parametrize(
    ("make_key", "algorithm", "as_file"),
    [(rsa_key_pem, "rsa-sha256", True), (ed25519_key_pem, "ed25519-sha256", False)],
    ids=["rsa-from-a-file", "ed25519-from-pem-text"],
)
def test_every_copy_is_signed_and_verifies(
    project, smtp_server, monkeypatch, make_key, algorithm, as_file
):
    pem = make_key()
    _signed_newsletter(project, smtp_server, pem, monkeypatch, as_file)

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    lookup = _dns(dns_record(pem))
    for address in READERS:
        (arrived,) = smtp_server.mailbox.arrivals(address)
        signature = arrived.message["DKIM-Signature"]
        assert f"a={algorithm}" in signature
        assert "d=example.org" in signature and "s=news2026" in signature
        signed = re.search(r"h=([^;]+);", " ".join(signature.split())).group(1)
        assert [name.strip() for name in signed.split(":")] == SIGNED
        assert dkim.verify(arrived.raw, dnsfunc=lookup), f"{address}: signature does not verify"


def test_a_changed_copy_no_longer_verifies(project, smtp_server, monkeypatch):
    pem = rsa_key_pem()
    _signed_newsletter(project, smtp_server, pem, monkeypatch, as_file=True)
    project.run("publish", "--story", "night-market", "--to", "newsletter")
    (arrived,) = smtp_server.mailbox.arrivals(READERS[0])
    lookup = _dns(dns_record(pem))
    assert dkim.verify(arrived.raw, dnsfunc=lookup)

    forged_subject = arrived.raw.replace(b"Subject: Harbour", b"Subject: Harb0ur", 1)
    forged_body = arrived.raw.replace(b"Forty stalls", b"Fifty stalls", 1)

    assert forged_subject != arrived.raw and forged_body != arrived.raw
    assert not dkim.verify(forged_subject, dnsfunc=lookup)
    assert not dkim.verify(forged_body, dnsfunc=lookup)
    assert not dkim.verify(arrived.raw, dnsfunc=_dns(dns_record(rsa_key_pem())))  # other key


def test_a_test_copy_is_signed_too(project, smtp_server, monkeypatch):
    pem = ed25519_key_pem()
    _signed_newsletter(project, smtp_server, pem, monkeypatch, as_file=True)

    result = project.run("publish", "--story", "night-market", "--test-to", "me@example.org")

    assert result.code == 0, result.err
    (arrived,) = smtp_server.mailbox.arrivals("me@example.org")
    assert dkim.verify(arrived.raw, dnsfunc=_dns(dns_record(pem)))


def test_without_dkim_settings_nothing_is_signed(newsletter, smtp_server):
    assert newsletter.run("publish", "--story", "night-market").code == 0
    (message,) = smtp_server.mailbox.to(READERS[0])
    assert message["DKIM-Signature"] is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("missing.pem", "neither a PEM key nor a readable key file (No such file or directory)"),
        ("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----", "not an unencrypted"),
    ],
    ids=["missing-file", "broken-pem"],
)
def test_a_key_that_cannot_sign_stops_the_run_before_anything_is_sent(
    project, smtp_server, monkeypatch, key, reason
):
    monkeypatch.setenv("DKIM_KEY", key)
    project.write_config(email_config(smtp_server.url(), DKIM_SETTINGS))
    project.run("subscribers", "add", READERS[0])

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 2
    assert "newsletter.dkim_private_key: " + reason in " ".join(result.err.split())
    assert "BEGIN" not in result.err and "bm9wZQ" not in result.err
    assert smtp_server.mailbox.count() == 0


def test_dkim_settings_come_together(project, smtp_server):
    project.write_config(email_config(smtp_server.url(), 'dkim_selector = "news2026"\n'))

    result = project.run("check")

    assert result.code == 2
    assert "dkim_selector, dkim_domain and dkim_private_key together" in result.err
