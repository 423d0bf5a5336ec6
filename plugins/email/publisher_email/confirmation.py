"""The confirmation email of a sign-up, sent through the list's own transport and signed
with the list's DKIM key when it has one, as every edition is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING

from publisher import ConfigError, Destination, clean_line
from publisher_email.connect import open_transport
from publisher_email.links import email_lists, link_token
from publisher_email.outgoing import dkim_signer
from publisher_email.render import confirm_url
from publisher_email.smtp_pool import SmtpServer
from publisher_email.transport import OUTBOX, Envelope

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings


def list_title(destination: Destination[EmailSettings], several: bool) -> str:
    """How a list is named to readers: its `title`, else the site's name (or, among several
    lists, the list's own name)."""
    title = destination.settings.title
    if title:
        return title
    name = destination.settings.subscribers or destination.name
    return name.replace("-", " ").replace("_", " ").capitalize() if several else ""


def sending_problems(destinations: Iterable[Destination[EmailSettings]]) -> list[str]:
    """Why a list on the sign-up form could not mail its confirmations (`smtp` unset or
    malformed, a DKIM key that cannot sign): said before `serve` listens, in the words of
    `publish`, rather than to the first reader as "try again later"."""
    problems = []
    for destination in email_lists(destinations):
        if not destination.settings.signup:
            continue
        try:
            url = destination.settings.smtp.reveal()
            if not url.startswith(OUTBOX):
                SmtpServer.parse(url)
        except (ConfigError, ValueError) as error:
            problems.append(f"{destination.name}.smtp: {error}")
        try:
            dkim_signer(destination)
        except ConfigError as error:
            problems.append(str(error))
    return problems


def send_confirmation(
    destination: Destination[EmailSettings], address: str, token_id: str, title: str
) -> None:
    """Mail the link that confirms a sign-up; raises what the transport raises (and
    ConfigError for a DKIM key that cannot sign)."""

    settings = destination.settings
    site = destination.site
    link = confirm_url(destination, link_token(destination, "confirm", token_id))
    body = destination.templates.render(
        "email/confirm.txt",
        site=site,
        link=link,
        hours=round(settings.confirm_within),
        title=title,
        postal_address=settings.postal_address,
    )
    sender = parseaddr(settings.sender)[1]
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = settings.sender
    message["To"] = address
    message["Subject"] = clean_line(f"Confirm your subscription to {title or site.name}")
    sent_at = datetime.now(UTC)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid("confirm", domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-replied"  # an answer to the form: no auto-replies back
    message.set_content(body)
    data = message.as_bytes()  # CRLF line ends (policy.SMTP), as the signature needs
    signer = dkim_signer(destination)
    if signer is not None:
        data = signer.sign(data) + data
    transport = open_transport(destination, connections=1)
    try:
        # Each one kept in an outbox (a second sign-up is a second message, not a rewrite).
        name = f"{address}-{sent_at:%Y%m%dT%H%M%S%f}"
        transport.send(Envelope(sender, address, data, label="confirmations", name=name))
    finally:
        transport.close()
