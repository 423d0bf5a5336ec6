"""The email destination's settings, validated when the configuration is loaded."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from publisher import ChannelSettings, Secret
from publisher_email.bounce_mailbox import MAILDIR, ImapLocation
from publisher_email.smtp_pool import SmtpServer
from publisher_email.transport import OUTBOX

SIGNING_KEY_VARIABLE = "EMAIL_SIGNING_KEY"
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNSUBSCRIBE_KEYS = {"site": "https://news.example.org", "token": "t", "list": "l"}


def _mailbox(value: str) -> str:
    """'Name <addr@example.org>' or a bare address, checked without DNS."""
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


def _unsubscribe_pattern(value: str) -> str:
    """A URL pattern with {token}; it becomes a header, so one line and known keys only."""
    if "{token}" not in value:
        raise ValueError("must contain {token}, the subscriber's signed token")
    if any(c.isspace() for c in value):
        raise ValueError("must be one URL without spaces or line breaks")
    try:
        value.format(**_UNSUBSCRIBE_KEYS)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"may use only {{site}}, {{token}} and {{list}} ({error})") from None
    return value


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
    # Signs the per-subscriber unsubscribe tokens; see tokens.py for the demo key when unset.
    signing_key: Secret = Field(default_factory=lambda: Secret.from_env(SIGNING_KEY_VARIABLE))
    subscribers: Annotated[str, AfterValidator(_list_name)] | None = None  # default: own name
    reply_to: Mailbox | None = None
    subject: str = "{headline}"
    digest_subject: str = "{site}, {date:%d %B %Y}: {headline}"
    unsubscribe_url: Annotated[str, AfterValidator(_unsubscribe_pattern)] = (
        "{site}/unsubscribe?token={token}"
    )
    unsubscribe_mailto: PlainAddress | None = None
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
