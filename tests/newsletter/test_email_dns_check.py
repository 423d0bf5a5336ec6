"""`publisher check --dns`: DKIM, SPF and DMARC records looked up on a DNS server of our own."""

from __future__ import annotations

import pytest
from dnslib import RCODE

from support.deliverability import dns_record, ed25519_key_pem, rsa_key_pem
from support.dns import LoopbackDns, Zone
from support.mail import READERS, email_config
from support.web import free_port

SETTINGS = """
bounce_address = "bounces@bounces.example.org"
dkim_selector = "news2026"
dkim_domain = "example.org"
dkim_private_key = "dkim.pem"
"""


@pytest.fixture
def zone(monkeypatch):
    zone = Zone()
    server = LoopbackDns(zone).start()
    monkeypatch.setenv("PUBLISHER_DNS_SERVER", server.address)
    yield zone
    server.stop()


@pytest.fixture
def signed(project, smtp_server):
    pem = rsa_key_pem()
    (project.root / "dkim.pem").write_text(pem)
    project.write_config(email_config(smtp_server.url(), SETTINGS))
    project.run("subscribers", "add", READERS[0])
    return pem


def _all_records(zone: Zone, pem: str) -> None:
    zone.records.update(
        {
            "news2026._domainkey.example.org": [dns_record(pem)],
            "example.org": ["v=spf1 ip4:192.0.2.10 -all", "google-site-verification=abc"],
            "bounces.example.org": ["v=spf1 ip4:192.0.2.10 -all"],
            "_dmarc.example.org": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"],
        }
    )


def test_check_looks_nothing_up_in_dns_unless_asked(project, signed, zone):
    result = project.run("check")

    assert result.code == 0, result.out + result.err
    assert "DKIM rsa s=news2026 d=example.org; VERP to bounces@bounces.example.org" in result.out
    assert zone.questions == []


def test_check_dns_confirms_every_record(project, signed, zone):
    _all_records(zone, signed)

    result = project.run("check", "--dns")

    assert result.code == 0, result.out + result.err
    assert (
        "DNS: DKIM key at news2026._domainkey.example.org matches, SPF at example.org, "
        "SPF at bounces.example.org, DMARC at _dmarc.example.org"
    ) in result.out
    assert "news2026._domainkey.example.org" in zone.questions


def test_check_dns_names_each_record_that_is_missing_or_wrong(project, signed, zone):
    _all_records(zone, signed)
    zone.records["news2026._domainkey.example.org"] = [dns_record(rsa_key_pem())]  # another key
    del zone.records["bounces.example.org"]
    del zone.records["_dmarc.example.org"]

    result = project.run("check", "--dns")

    assert result.code == 2
    said = " ".join(result.out.split())
    wanted = dns_record(signed)
    assert (
        "the key at news2026._domainkey.example.org is not the public half of dkim_private_key; "
        f"publish TXT '{wanted}'"
    ) in said
    # A 2048-bit RSA key's record is longer than one TXT string can be.
    assert len(wanted) > 255
    assert "(as several strings of at most 255 characters, one after another)" in said
    assert "no SPF record at bounces.example.org" in said
    assert "no DMARC record at _dmarc.example.org" in said
    assert "SPF record at example.org" not in said  # that one is there
    assert "BEGIN" not in result.out + result.err  # the private key never shows


def test_check_dns_gives_the_record_to_publish_when_there_is_none(project, signed, zone):
    _all_records(zone, signed)
    del zone.records["news2026._domainkey.example.org"]

    result = project.run("check", "--dns")

    assert result.code == 2
    assert (
        f"no DKIM key at news2026._domainkey.example.org; publish TXT '{dns_record(signed)}'"
        in " ".join(result.out.split())
    )


def test_check_dns_matches_an_ed25519_key_and_tells_the_kinds_apart(project, smtp_server, zone):
    pem = ed25519_key_pem()
    (project.root / "dkim.pem").write_text(pem)
    project.write_config(email_config(smtp_server.url(), SETTINGS))
    project.run("subscribers", "add", READERS[0])
    _all_records(zone, pem)

    assert (
        "DKIM key at news2026._domainkey.example.org matches" in project.run("check", "--dns").out
    )

    zone.records["news2026._domainkey.example.org"] = [dns_record(rsa_key_pem())]
    result = project.run("check", "--dns")
    assert result.code == 2
    assert "the key at news2026._domainkey.example.org is rsa, the configured key ed25519" in (
        " ".join(result.out.split())
    )


class Failing(Zone):
    """A DNS server that fails every question (SERVFAIL)."""

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.rcode = RCODE.SERVFAIL
        return reply


def test_check_dns_on_a_failing_server_reports_every_problem_each_once(
    project, smtp_server, monkeypatch
):
    closed = free_port()  # nothing listens there: the bounce mailbox cannot be reached
    pem = rsa_key_pem()
    (project.root / "dkim.pem").write_text(pem)
    mailbox = f'bounce_mailbox = "imaps://bounces:pw@127.0.0.1:{closed}/INBOX"\n'
    project.write_config(email_config(smtp_server.url(), SETTINGS + mailbox))
    project.run("subscribers", "add", READERS[0])
    server = LoopbackDns(Failing()).start()
    try:
        plain = project.run("check")
        monkeypatch.setenv("PUBLISHER_DNS_SERVER", server.address)
        looked_up = project.run("check", "--dns")
    finally:
        server.stop()

    unreachable = f"cannot reach IMAP 127.0.0.1:{closed} folder INBOX"
    assert plain.code == looked_up.code == 2
    assert unreachable in plain.out
    [failed] = [line for line in looked_up.out.splitlines() if line.startswith("failed")]
    assert failed.startswith(
        f"failed newsletter: DNS: the DNS server 127.0.0.1 port {server.port} could not look up "
    )
    assert failed.count(unreachable) == 1, "what plain check reports is still there"
    assert failed.count("could not look up") == 1
    assert "newsletter: newsletter" not in looked_up.out + looked_up.err
