"""The email destination's settings, validated when the configuration is loaded."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from publisher import ChannelSettings, Secret, check_pattern, clean_line
from publisher_email.bounce_mailbox import MAILDIR, ImapLocation
from publisher_email.smtp_pool import SmtpServer
from publisher_email.transport import OUTBOX

SIGNING_KEY_VARIABLE = "EMAIL_SIGNING_KEY"
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNSUBSCRIBE_KEYS = {"site": "https://news.example.org", "token": "t", "list": "l"}
# What a subject pattern is given (render.subject_for): sample values to try it on.
_SUBJECT_KEYS = {
    "headline": "Headline",
    "site": "Site",
    "date": datetime(2026, 1, 1, tzinfo=UTC),
    "count": 2,
}
_ARCHIVE_KEYS = {"site": "https://news.example.org", "edition": "e", "list": "l"}
_HOURS = re.compile(r"\s*(\d+)\s*(h|d)\s*")


def _mailbox(value: str) -> str:
    """'Name <addr@example.org>' or a bare address, checked without DNS.

    It becomes a header: a line break, or a second address that a lenient
    parser would pick instead of the first, is refused rather than repaired.
    """
    from publisher.text import one_line  # loaded with a configuration, not by --help

    if one_line(value) != value:  # it changes only what is unsafe to show
        raise ValueError(
            "must be one line, without line breaks or control characters (nor bidi overrides)"
        )
    found = getaddresses([value])
    if len(found) != 1:
        raise ValueError(
            f"'{value}' holds {len(found)} addresses; give one, such as "
            "'News <news@example.org>' (put a name with a comma in double quotes)"
        )
    name, address = parseaddr(value)
    try:
        checked = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"'{value}' is not a valid address: {error}") from None
    return str(Address(display_name=name, addr_spec=checked)) if name else checked


def _per_second(value: object) -> float:
    """'600/min' -> 10.0: the unit is part of the setting, so a bare number is refused."""
    match = _RATE.fullmatch(value) if isinstance(value, str) else None
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"'{value}' is not a rate such as 10/s, 600/min or 20000/h")
    return float(match.group(1)) / _PER[match.group(2)]


def _try_pattern(pattern: str, sample: Mapping[str, object]) -> None:
    """Fill a pattern with sample values, so that a bad placeholder is named when the
    configuration loads rather than when the first message is rendered."""
    check_pattern(pattern, sample)


def _subject_pattern(value: str) -> str:
    _try_pattern(value, _SUBJECT_KEYS)
    return value


def _url_pattern(value: str, keys: Mapping[str, object], required: str) -> str:
    """A URL pattern with {required}; one line (it may become a header), known keys only."""
    if f"{{{required}}}" not in value:
        raise ValueError(f"must contain {{{required}}}")
    if any(c.isspace() for c in value):
        raise ValueError("must be one URL without spaces or line breaks")
    _try_pattern(value, keys)
    return value


def _unsubscribe_pattern(value: str) -> str:
    return _url_pattern(value, _UNSUBSCRIBE_KEYS, "token")


def _archive_pattern(value: str) -> str:
    return _url_pattern(value, _ARCHIVE_KEYS, "edition") if value else value


def _hours(value: object) -> float:
    """'48h' or '2d' -> 48.0."""
    match = _HOURS.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"'{value}' is not a duration such as 48h or 2d")
    return int(match.group(1)) * (24 if match.group(2) == "d" else 1)


def _fraction(value: object) -> float:
    """'1%' -> 0.01; a rate is written with its percent sign, so 1 is never read as 100%."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        number = float(text.removesuffix("%"))
    except ValueError:
        number = -1.0
    if not text.endswith("%") or not 0 <= number <= 100:
        raise ValueError(f"'{value}' is not a percentage such as 1% or 0.1%")
    return number / 100


def _bounce_address(value: str) -> str:
    """VERP puts '+' and a token of about 24 characters after the local part: it must fit in
    the 64 characters SMTP allows a local part."""
    local = value.rpartition("@")[0]
    if "+" in local or len(local) > 32:
        raise ValueError("the local part must be at most 32 characters, without '+'")
    return value


def _dns_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*", value):
        raise ValueError("must be a DNS name such as news2026 or example.org")
    return value


def _smtp_url(url: Secret) -> Secret:
    """Refuse a malformed URL when the configuration loads (an unset variable: when used)."""
    if url.is_set:
        value = url.reveal()
        if value.startswith(OUTBOX):
            if not value.removeprefix(OUTBOX).strip():
                raise ValueError("outbox: needs a folder, such as outbox:outbox")
        else:
            SmtpServer.parse(value)
    return url


def _mailbox_url(url: Secret | None) -> Secret | None:
    """Refuse a malformed bounce mailbox when the configuration loads."""
    if url is not None and url.is_set and not url.reveal().startswith(MAILDIR):
        ImapLocation.parse(url.reveal())
    return url


def _list_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", value):
        raise ValueError("must be letters, digits, '.', '_' or '-' (at most 100)")
    return value


Mailbox = Annotated[str, AfterValidator(_mailbox)]
SubjectPattern = Annotated[str, AfterValidator(_subject_pattern)]
PlainAddress = Annotated[str, AfterValidator(_mailbox), AfterValidator(lambda v: parseaddr(v)[1])]
Fraction = Annotated[float, BeforeValidator(_fraction)]  # written "1%", "0.1%"
PerSecond = Annotated[float, BeforeValidator(_per_second)]  # written "10/s", "600/min", "20000/h"


class EmailSettings(ChannelSettings):
    sender: Mailbox = Field(alias="from")
    # smtp://[user:password@]host[:port] (STARTTLS), smtps://... (implicit TLS), outbox:FOLDER
    smtp: Annotated[Secret, AfterValidator(_smtp_url)] = Field(
        default_factory=lambda: Secret.from_env("SMTP_URL"), validate_default=True
    )
    connections: int = Field(default=4, ge=1, le=50)  # SMTP connections open at once
    rate_limit: PerSecond | None = None  # copies a second, at most
    # Signs the per-subscriber unsubscribe tokens; unset, the public demo key (outbox: only).
    signing_key: Secret = Field(default_factory=lambda: Secret.from_env(SIGNING_KEY_VARIABLE))
    subscribers: Annotated[str, AfterValidator(_list_name)] | None = None  # default: own name
    reply_to: Mailbox | None = None
    subject: SubjectPattern = "{headline}"
    digest_subject: SubjectPattern = "{site}, {date:%d %B %Y}: {headline}"
    unsubscribe_url: Annotated[str, AfterValidator(_unsubscribe_pattern)] = (
        "{site}/unsubscribe?token={token}"
    )
    unsubscribe_mailto: PlainAddress | None = None
    # `publisher serve`: the sign-up form, its confirmation links, the archive.
    signup: bool = True  # offer this list on the sign-up form
    # The list's name on the form when a site has several [default: its name].
    title: Annotated[str, AfterValidator(clean_line)] = ""
    confirm_url: Annotated[str, AfterValidator(_unsubscribe_pattern)] = (
        "{site}/confirm?token={token}"
    )
    confirm_within: Annotated[float, BeforeValidator(_hours)] = 48.0  # hours; written "48h"
    # How long after unsubscribing through a link its "Subscribe again" button still works.
    resubscribe_within: Annotated[float, BeforeValidator(_hours)] = 720.0  # written "30d"
    record_ip: bool = True  # keep the client address with each consent record
    archive: bool = True  # show this list's editions in the archive and its feed
    # Where `publisher serve` shows an edition, such as "{site}/archive/{edition}": the
    # digest's "View in browser" link then points there (off when empty).
    archive_url: Annotated[str, AfterValidator(_archive_pattern)] = ""
    postal_address: str = ""
    font_family: str = "Helvetica, Arial, sans-serif"
    font_url: str | None = None  # a remote web font, only when configured
    faq_per_story: int = Field(default=2, ge=0)  # in digests
    # DKIM signing (dkim_signing.py): all three, or none. The key is PEM text or a file's path.
    dkim_selector: Annotated[str, AfterValidator(_dns_name)] | None = None
    dkim_domain: Annotated[str, AfterValidator(_dns_name)] | None = None
    dkim_private_key: Secret | None = None
    # VERP: each copy's envelope sender is bounces+TOKEN@domain (verp.py); off when unset.
    bounce_address: Annotated[PlainAddress, AfterValidator(_bounce_address)] | None = None
    # Where bounces and complaints arrive: imaps://user:password@host/FOLDER, imap://...
    # (STARTTLS), or maildir:PATH (bounce_mailbox.py).
    bounce_mailbox: Annotated[Secret | None, AfterValidator(_mailbox_url)] = None
    # What stops mail to an address (bounce_store.py).
    hard_bounce_limit: int = Field(default=1, ge=1)
    soft_bounce_limit: int = Field(default=3, ge=1)
    soft_bounce_editions: int = Field(default=5, ge=1, le=100)
    complaint_limit: int = Field(default=1, ge=1)
    # An edition above these rates is reported by `publisher status` with a warning.
    bounce_rate_limit: Fraction = 0.01
    complaint_rate_limit: Fraction = 0.001
    # Webhooks (webhooks.py): the SNS topics SES notifies, Mailgun's key, Postmark's login.
    ses_topic_arns: list[str] = Field(default_factory=list)
    mailgun_signing_key: Secret | None = None
    postmark_webhook_auth: Secret | None = None  # "user:password", as in the webhook's URL

    @model_validator(mode="after")
    def _dkim_complete(self) -> EmailSettings:
        given = [self.dkim_selector, self.dkim_domain, self.dkim_private_key]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError("DKIM needs dkim_selector, dkim_domain and dkim_private_key together")
        if self.soft_bounce_limit > self.soft_bounce_editions:
            raise ValueError("soft_bounce_limit cannot be more than soft_bounce_editions")
        return self

    @property
    def writes_outbox(self) -> bool:
        """Copies go to an outbox folder as files: no message leaves this machine."""
        return self.smtp.is_set and self.smtp.reveal().startswith(OUTBOX)
