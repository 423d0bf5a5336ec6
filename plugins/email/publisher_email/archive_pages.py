"""`/archive`, `/archive/{edition}` and `/feed.atom`: the editions that went out by email.

An edition is shown as it was sent, the reader's own links taken out: the
unsubscribe link (whose token was never stored) becomes a link to the
sign-up form. The email's HTML keeps its inline styles, so its page has a
policy of its own: styles and images, and still no script at all.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, Response

from publisher_email.archive import Archive, Archived
from publisher_email.links import email_lists
from publisher_email.render import UNSUBSCRIBE_TOKEN, list_name

COPY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; "
    "font-src https: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
CACHED = {"Cache-Control": "public, max-age=300"}
_PERSONAL_ANCHOR = re.compile(
    r"<a\b[^>]*" + re.escape(UNSUBSCRIBE_TOKEN) + r"[^>]*>.*?</a\s*>", re.DOTALL | re.IGNORECASE
)
_PERSONAL_URL = re.compile(r"[^\s\"'<>]*" + re.escape(UNSUBSCRIBE_TOKEN) + r"[^\s\"'<>]*")
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
# The footer's lines for the subscriber ("You receive this because...", the way out, "View in
# browser"): said to a reader of the archive, they are untrue. A paragraph cannot hold another.
_SUBSCRIBER_ONLY = re.compile(
    r"<p\b[^>]*\bclass=\"[^\"]*\bsubscriber-only\b[^\"]*\"[^>]*>.*?</p\s*>",
    re.DOTALL | re.IGNORECASE,
)


def _archived(web) -> list:
    return [d for d in email_lists(web.workspace.destinations()) if d.settings.archive]


def _archive(web) -> tuple[Archive, list[str]]:
    lists = [list_name(d) for d in _archived(web)]
    return Archive(web.workspace.state.engine), lists


def index(request, web):
    """Every edition that went out, newest first."""
    archive, lists = _archive(web)
    editions = archive.editions(lists) if lists else []
    return web.page(
        request,
        "pages/archive.html",
        headers=CACHED,
        editions=editions,
        zone=web.workspace.config.site.zone,
    )


def public_copy(copy: str, subscribe: str, archive: str, site_name: str) -> str:
    """The email without the reader's links and the lines meant for a subscriber, under a
    line that says where it is."""
    copy = _SUBSCRIBER_ONLY.sub("", copy)
    subscribe_link = f'<a href="{html.escape(subscribe)}">Subscribe</a>'
    copy = _PERSONAL_ANCHOR.sub(lambda _: subscribe_link, copy)
    copy = _PERSONAL_URL.sub(lambda _: html.escape(subscribe), copy)
    banner = (
        '<div style="font:15px/1.5 system-ui,sans-serif;background:#f6f8fa;color:#1f2328;'
        'border-bottom:1px solid #d0d7de;padding:10px 16px;text-align:center">'
        f"From the archive of {html.escape(site_name)} · "
        f'<a href="{html.escape(archive)}" style="color:#0b57d0">All editions</a> · '
        f'<a href="{html.escape(subscribe)}" style="color:#0b57d0">Subscribe</a></div>'
    )
    match = _BODY.search(copy)
    if match is None:
        return banner + copy
    return copy[: match.end()] + banner + copy[match.end() :]


def edition(request, web):
    """One edition as it was sent."""
    archive, lists = _archive(web)
    found = archive.get(lists, request.path_params["edition"]) if lists else None
    if found is None:
        return web.error(request, 404, "Edition not found", "There is no edition at this address.")
    body = public_copy(
        found.html,
        web.url(request, "subscribe"),
        web.url(request, "archive"),
        web.workspace.config.site.name,
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": COPY_POLICY, **CACHED})


def _entry_url(web, request, entry: Archived) -> str:
    for destination in _archived(web):
        pattern = destination.settings.archive_url
        if list_name(destination) == entry.list and pattern:
            return pattern.format(
                site=destination.site.url.rstrip("/"), edition=entry.edition_id, list=entry.list
            )
    return web.absolute(request, web.url(request, "edition", edition=entry.edition_id))


def feed(request, web):
    """An Atom feed (RFC 4287) of the archive."""
    archive, lists = _archive(web)
    editions = archive.editions(lists, limit=50) if lists else []
    site = web.workspace.config.site
    host = urlsplit(site.url).hostname or "localhost"
    body = web.workspace.templates.render(
        "pages/feed.xml",
        site=site,
        editions=[
            {
                "entry": entry,
                "url": _entry_url(web, request, entry),
                "id": f"tag:{host},{entry.published_at:%Y-%m-%d}:{entry.list}/{entry.edition_id}",
            }
            for entry in editions
        ],
        feed_id=f"tag:{host},2024:{'+'.join(lists) or 'archive'}",
        self_url=web.absolute(request, web.url(request, "feed")),
        archive_url=web.absolute(request, web.url(request, "archive")),
        updated=editions[0].published_at if editions else None,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=CACHED)
