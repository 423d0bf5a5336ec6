"""Render an edition into one email: subject, headers, MJML compiled to HTML, a text part.

Story text is escaped by the templates (autoescape for .mjml) before MJML sees
it; the text part is written from the same values by its own template. What
differs per recipient (the signed unsubscribe token) stays a placeholder, so
MJML is compiled once per edition and destination and each recipient costs a
substitution (see letter.py).
"""

from __future__ import annotations

import re
from email.utils import formataddr
from html import unescape
from typing import Any
from urllib.parse import quote, urlsplit

from publisher import ConfigError, Destination, Edition, Part, clean_line
from publisher.social import story_disclosure
from publisher_email.settings import EmailSettings

# Gmail clips messages whose HTML passes about 102 KB.
HTML_LIMIT = 102_000
UNSUBSCRIBE_TOKEN = "%%unsubscribe_token%%"

_BLANK_RUNS = re.compile(r"\n\s*\n(\s*\n)+")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def list_name(destination: Destination[EmailSettings]) -> str:
    """The subscriber list a destination sends to: its own, unless it shares one."""
    settings = destination.settings
    return settings.subscribers or destination.name


def subject_for(edition: Edition, destination: Destination[EmailSettings]) -> str:
    settings = destination.settings
    pattern = settings.digest_subject if edition.kind == "digest" else settings.subject
    when = edition.end or edition.lead.published
    text = pattern.format(
        headline=edition.lead.headline,
        site=destination.site.name,
        date=when.astimezone(destination.site.zone),
        count=len(edition.stories),
    )
    return clean_line(text)


def list_id(destination: Destination[EmailSettings]) -> str:
    """RFC 2919: the site's name and a stable id made of the list name and the site's host."""
    host = urlsplit(destination.site.url).hostname or "localhost"
    label = re.sub(r"[^A-Za-z0-9._-]", "-", list_name(destination))
    return formataddr((clean_line(destination.site.name), f"{label}.{host}"))


def confirm_url(destination: Destination[EmailSettings], token: str) -> str:
    """The link in a sign-up's confirmation email."""
    settings = destination.settings
    url = settings.confirm_url.format(
        site=destination.site.url.rstrip("/"), token=token, list=list_name(destination)
    )
    return quote(url, safe=_URL_SAFE)


def unsubscribe_url(destination: Destination[EmailSettings]) -> str:
    """The unsubscribe link with the token left as a placeholder; non-ASCII percent-encoded."""
    settings = destination.settings
    url = settings.unsubscribe_url.format(
        site=destination.site.url.rstrip("/"),
        token=UNSUBSCRIBE_TOKEN,
        list=list_name(destination),
    )
    return quote(url, safe=_URL_SAFE)


def template_values(
    edition: Edition, destination: Destination[EmailSettings]
) -> tuple[str, dict[str, Any]]:
    """The email's template (without its .mjml or .txt) and the values it is rendered with."""
    settings = destination.settings
    zone = destination.site.zone
    subject = subject_for(edition, destination)
    unsubscribe = unsubscribe_url(destination)
    if edition.kind == "digest":
        preheader = " · ".join(story.headline for story in edition.stories)
    else:
        preheader = edition.lead.dek or edition.lead.summary
    browser_label, browser_url = _web_link(edition, destination)
    # Under each generated story: a line saying so (email/ or social/disclosure.txt).
    disclosures = {
        story.id: story_disclosure(story, destination.templates, "email")
        for story in edition.stories
        if story.generated
    }
    values = {
        "subject": subject,
        "preheader": preheader[:150],
        "edition": edition,
        "story": edition.lead,
        "stories": edition.stories,
        "site": destination.site,
        "start": f"{edition.start.astimezone(zone):%d %B}" if edition.start else "",
        "end": f"{edition.end.astimezone(zone):%d %B %Y}" if edition.end else "",
        "unsubscribe_url": unsubscribe,
        "browser_url": browser_url,
        "browser_label": browser_label,
        "postal_address": settings.postal_address,
        "font_family": settings.font_family,
        "font_url": settings.font_url,
        "faq_per_story": settings.faq_per_story,
        "disclosures": disclosures,
    }
    template = "email/digest" if edition.kind == "digest" else "email/story"
    return template, values


def render_email(
    edition: Edition, destination: Destination[EmailSettings]
) -> tuple[Part, tuple[str, ...]]:
    """The message every subscriber receives, with a placeholder for what is theirs."""
    template, values = template_values(edition, destination)
    subject, unsubscribe = values["subject"], values["unsubscribe_url"]
    from mjml import mjml2html  # loaded by the first render, not by every command

    mjml = destination.templates.render(f"{template}.mjml", **values)
    try:
        html = mjml2html(mjml, disable_comments=True, fonts={})
    except ValueError as error:  # the template's output is not MJML
        where = destination.templates.filename(f"{template}.mjml")
        raise ConfigError(f"{where}: the template does not make valid MJML ({error})") from None
    text = _BLANK_RUNS.sub("\n\n", destination.templates.render(f"{template}.txt", **values))
    part = Part(
        text=text,
        length=len(html.encode()),
        limit=HTML_LIMIT,
        extra={
            "subject": subject,
            "headers": _headers(destination, subject, unsubscribe),
            "html": html,
        },
    )
    return part, _warnings(part, unsubscribe) + _undisclosed(part, values["disclosures"])


def _web_link(edition: Edition, destination: Destination[EmailSettings]) -> tuple[str, str]:
    """The footer's (label, URL) on the web: a story's own page; for a digest, its page in
    the archive of `publisher serve` when `archive_url` says where that is, else the site,
    labelled so that nobody expects this email there."""
    settings = destination.settings
    if edition.kind == "digest" and settings.archive_url:
        url = settings.archive_url.format(
            site=destination.site.url.rstrip("/"),
            edition=quote(edition.id, safe=""),
            list=list_name(destination),
        )
        return "View in browser", quote(url, safe=_URL_SAFE)
    if edition.kind == "digest":
        return f"Read on {destination.site.name}", destination.site.url
    return "View in browser", edition.lead.url


def _headers(
    destination: Destination[EmailSettings], subject: str, unsubscribe: str
) -> dict[str, str]:
    """Headers shared by every copy; To, Date and Message-ID are added per recipient."""
    settings = destination.settings
    links = f"<{unsubscribe}>"
    if settings.unsubscribe_mailto:
        mailto = f"mailto:{settings.unsubscribe_mailto}?subject=unsubscribe%20{UNSUBSCRIBE_TOKEN}"
        links += f", <{mailto}>"
    headers = {
        "From": settings.sender,
        "Subject": subject,
        "List-Id": list_id(destination),
        "List-Unsubscribe": links,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if settings.reply_to:
        headers["Reply-To"] = settings.reply_to
    return headers


def _undisclosed(part: Part, disclosures: dict[str, str]) -> tuple[str, ...]:
    """A generated story whose disclosure a template of the project's own leaves out."""
    bodies = {"HTML": unescape(part.extra["html"]), "text": part.text}
    folded = {kind: " ".join(body.split()) for kind, body in bodies.items()}
    warnings = []
    for story_id, line in disclosures.items():
        missing = [kind for kind, body in folded.items() if " ".join(line.split()) not in body]
        if line and missing:
            warnings.append(
                f"the {' and '.join(missing)} part does not say that an AI model wrote "
                f"'{story_id}': put {{{{ disclosures[story.id] }}}} under the story in the "
                "template"
            )
    return tuple(warnings)


def _warnings(part: Part, unsubscribe: str) -> tuple[str, ...]:
    warnings = []
    length = part.length or 0
    if length > HTML_LIMIT:
        warnings.append(
            f"the HTML is {length // 1000} KB; Gmail clips messages over "
            f"{HTML_LIMIT // 1000} KB (shorten the template or the digest)"
        )
    missing = [
        kind
        for kind, body in (("HTML", part.extra["html"]), ("text", part.text))
        if UNSUBSCRIBE_TOKEN not in body
    ]
    if missing:
        warnings.append(
            f"the {' and '.join(missing)} part has no unsubscribe link; put "
            "{{ unsubscribe_url }} in the template's footer"
        )
    if not unsubscribe.startswith("https://"):
        warnings.append(
            "the unsubscribe link is not HTTPS; one-click unsubscribe (RFC 8058) needs "
            "https:// (set unsubscribe_url, or an https site url)"
        )
    return tuple(warnings)
