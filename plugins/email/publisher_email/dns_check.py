"""`publisher check --dns`: the DNS records receivers look up before they trust our mail.

Three, as Gmail, Yahoo and Outlook.com require of bulk senders: the DKIM key
at SELECTOR._domainkey.DOMAIN (it must be the public half of the configured
key), an SPF record for each domain mail is sent from (the From address's
and, with VERP, the bounce address's), and a DMARC policy at _dmarc.DOMAIN of
the From address. Looked up with dnspython through the system's resolver, or
the server PUBLISHER_DNS_SERVER names (HOST or HOST:PORT: for tests, and for
split-horizon set-ups whose public view differs from the local one).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from email.utils import parseaddr

import dns.exception
import dns.resolver
from cryptography.hazmat.primitives.asymmetric import rsa
from dkim.crypto import UnparsableKeyError, parse_public_key
from dkim.util import InvalidTagValueList, parse_tag_value

from publisher_email.dkim_signing import DkimKey
from publisher_email.settings import EmailSettings

SERVER_VARIABLE = "PUBLISHER_DNS_SERVER"
TIMEOUT = 5.0


class LookupFailed(Exception):
    """The DNS server did not answer (as opposed to answering that there is no record)."""


@dataclass
class DnsReport:
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def resolver() -> dns.resolver.Resolver:
    server = os.environ.get(SERVER_VARIABLE, "").strip()
    if not server:
        chosen = dns.resolver.Resolver()
    else:
        host, colon, port = server.rpartition(":")
        if not colon or "]" in port:
            host, port = server, "53"
        chosen = dns.resolver.Resolver(configure=False)
        chosen.nameservers = [host.strip("[]")]
        try:
            chosen.port = int(port)
        except ValueError:
            raise ValueError(f"{SERVER_VARIABLE}: '{server}' is not HOST or HOST:PORT") from None
    chosen.lifetime = TIMEOUT
    return chosen


def txt_records(name: str, lookup: dns.resolver.Resolver) -> list[str]:
    """Every TXT record at `name`, its strings joined; [] when there is none."""
    try:
        answer = lookup.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.Timeout:
        raise LookupFailed(
            f"no answer from {_servers(lookup)} about {name} within {lookup.lifetime:g} s"
        ) from None
    except dns.resolver.NoNameservers:
        # dnspython's own text repeats every attempt; one line says it.
        raise LookupFailed(f"{_servers(lookup)} could not look up {name}") from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def _servers(lookup: dns.resolver.Resolver) -> str:
    servers = ", ".join(str(server) for server in lookup.nameservers) or "no server"
    port = f" port {lookup.port}" if lookup.port != 53 else ""
    return f"the DNS server {servers}{port}"


def check_dns(settings: EmailSettings, key: DkimKey | None) -> DnsReport:
    lookup = resolver()
    report = DnsReport()
    from_domain = parseaddr(settings.sender)[1].rpartition("@")[2].lower()
    if key is not None and settings.dkim_selector and settings.dkim_domain:
        _dkim(report, lookup, settings.dkim_selector, settings.dkim_domain, key)
        if not _aligned(settings.dkim_domain.lower(), from_domain):
            report.missing.append(
                f"DKIM domain {settings.dkim_domain} is not the From domain {from_domain} or a "
                "parent of it, so DMARC will not count the signature"
            )
    elif settings.dkim_private_key is None:  # (a key that cannot be used is said by check)
        report.missing.append("no DKIM signing is configured (dkim_selector, dkim_domain, ...)")
    senders = [from_domain]
    if settings.bounce_address:
        senders.append(settings.bounce_address.rpartition("@")[2].lower())
    for domain in dict.fromkeys(senders):
        if any(r.lower().startswith("v=spf1") for r in txt_records(domain, lookup)):
            report.found.append(f"SPF at {domain}")
        else:
            report.missing.append(
                f"no SPF record at {domain} (publish TXT 'v=spf1 ... -all' naming your servers)"
            )
    name = f"_dmarc.{from_domain}"
    if any(r.lower().startswith("v=dmarc1") for r in txt_records(name, lookup)):
        report.found.append(f"DMARC at {name}")
    else:
        report.missing.append(f"no DMARC record at {name} (publish TXT 'v=DMARC1; p=none; ...')")
    return report


def _dkim(
    report: DnsReport, lookup: dns.resolver.Resolver, selector: str, domain: str, key: DkimKey
) -> None:
    name = f"{selector}._domainkey.{domain}"
    records = txt_records(name, lookup)
    record = key.dns_record()
    wanted = f"publish TXT '{record}'"
    if len(record) > 255:  # one TXT string holds 255 bytes (RFC 1035): an RSA key needs two
        wanted += " (as several strings of at most 255 characters, one after another)"
    if not records:
        report.missing.append(f"no DKIM key at {name}; {wanted}")
        return
    try:
        tags = parse_tag_value(records[0].encode())
    except InvalidTagValueList:
        report.missing.append(f"the record at {name} is not a DKIM key; {wanted}")
        return
    kind = tags.get(b"k", b"rsa").decode(errors="replace")
    if kind != key.kind:
        report.missing.append(f"the key at {name} is {kind}, the configured key {key.kind}")
    elif not _same_key(tags.get(b"p", b""), key):
        report.missing.append(
            f"the key at {name} is not the public half of dkim_private_key; {wanted}"
        )
    else:
        report.found.append(f"DKIM key at {name} matches")


def _same_key(published: bytes, key: DkimKey) -> bool:
    try:
        data = base64.b64decode(b"".join(published.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not isinstance(key.private, rsa.RSAPrivateKey):
        return data == base64.b64decode(key.public_value())
    try:
        found = parse_public_key(data)
    except UnparsableKeyError:
        return False
    numbers = key.private.public_key().public_numbers()
    return (found["modulus"], found["publicExponent"]) == (numbers.n, numbers.e)


def _aligned(dkim_domain: str, from_domain: str) -> bool:
    """Relaxed alignment, short of a public suffix list: one domain is the other or under it."""
    return from_domain == dkim_domain or any(
        a.endswith("." + b) for a, b in ((from_domain, dkim_domain), (dkim_domain, from_domain))
    )
