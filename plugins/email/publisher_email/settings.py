"""The email destination's settings, validated when the configuration is loaded."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

from publisher import ChannelSettings, Secret


def _mailbox(value: str) -> str:
    """'Name <addr@example.org>' or a bare address, checked without DNS."""
    name, address = parseaddr(value)
    try:
        checked = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"'{value}' is not a valid sender: {error}") from None
    return str(Address(display_name=name, addr_spec=checked)) if name else checked


Mailbox = Annotated[str, AfterValidator(_mailbox)]


class EmailSettings(ChannelSettings):
    sender: Mailbox = Field(alias="from")
    smtp: Secret = Field(default_factory=lambda: Secret.from_env("SMTP_URL"))
    reply_to: Mailbox | None = None
    subject: str = "{headline}"
    digest_subject: str = "{site}, {date:%d %B %Y}: {headline}"
    unsubscribe_url: str = "{site}/unsubscribe?token={token}"
    unsubscribe_mailto: str | None = None
    postal_address: str = ""
    font_family: str = "Helvetica, Arial, sans-serif"
    font_url: str | None = None  # a remote web font, only when configured
    faq_per_story: int = Field(default=2, ge=0)  # in digests
