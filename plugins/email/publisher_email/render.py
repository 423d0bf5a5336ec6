"""Render an edition into one email: subject, headers, MJML compiled to HTML, a text part.

Story text is escaped by the templates (autoescape for .mjml) before MJML sees
it. Per-recipient values stay as placeholders, so MJML is compiled once per
edition and each recipient costs a string substitution.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from mjml import mjml2html

from publisher import Destination, Edition, Part
from publisher.story import clean_line
from publisher_email.settings import EmailSettings

# Gmail clips messages whose HTML passes about 102 KB.
HTML_LIMIT = 102_000
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PLACEHOLDERS = (UNSUBSCRIBE_URL,)

_BLANK_RUNS = re.compile(r"\n\s*\n(\s*\n)+")


def subject_for(edition: Edition, destination: Destination) -> str:
    settings: EmailSettings = destination.settings
    pattern = settings.digest_subject if edition.kind == "digest" else settings.subject
    when = edition.end or edition.lead.published
    text = pattern.format(
        headline=edition.lead.headline,
        site=destination.site.name,
        date=when.astimezone(destination.site.zone),
        count=len(edition.stories),
    )
    return clean_line(text)


def list_id(destination: Destination) -> str:
    host = urlsplit(destination.site.url).hostname or "localhost"
    return f"{clean_line(destination.site.name)} <{destination.name}.{host}>"


def render_email(edition: Edition, destination: Destination) -> Part:
    """The message every subscriber receives, with placeholders for what is theirs."""
    settings: EmailSettings = destination.settings
    zone = destination.site.zone
    subject = subject_for(edition, destination)
    values = {
        "subject": subject,
        "preheader": edition.lead.dek or edition.lead.summary[:150],
        "edition": edition,
        "story": edition.lead,
        "stories": edition.stories,
        "site": destination.site,
        "start": f"{edition.start.astimezone(zone):%d %B}" if edition.start else "",
        "end": f"{edition.end.astimezone(zone):%d %B %Y}" if edition.end else "",
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "browser_url": edition.lead.url if edition.kind == "story" else destination.site.url,
        "postal_address": settings.postal_address,
        "font_family": settings.font_family,
        "font_url": settings.font_url,
        "faq_per_story": settings.faq_per_story,
    }
    template = "email/digest" if edition.kind == "digest" else "email/story"
    mjml = destination.templates.render(f"{template}.mjml", **values)
    html = mjml2html(mjml, disable_comments=True, fonts={})
    text = _BLANK_RUNS.sub("\n\n", destination.templates.render(f"{template}.txt", **values))
    return Part(
        text=text,
        length=len(html.encode()),
        limit=HTML_LIMIT,
        extra={"subject": subject, "headers": _headers(destination, subject), "html": html},
    )


def _headers(destination: Destination, subject: str) -> dict[str, str]:
    """Headers shared by every copy; To, Date and Message-ID are added per recipient."""
    settings: EmailSettings = destination.settings
    unsubscribe = f"<{UNSUBSCRIBE_URL}>"
    if settings.unsubscribe_mailto:
        unsubscribe += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>"
    headers = {
        "From": settings.sender,
        "Subject": subject,
        "List-Id": list_id(destination),
        "List-Unsubscribe": unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if settings.reply_to:
        headers["Reply-To"] = settings.reply_to
    return headers
