"""The unsubscribe link of every email (RFC 8058 one-click) and the way back.

A POST to the link unsubscribes at once: no cookie, no CSRF token, no
redirect, the same 200 when repeated, whatever the body (mailbox providers
send `List-Unsubscribe=One-Click`). A GET only shows a page with one button
that POSTs, so a mail scanner that follows every link unsubscribes nobody.
Resubscribing is a POST with the same signed token, and only undoes that link's own
unsubscribe, for a limited time (membership.py).
A token that is not ours gets a plain 400 page that says nothing about anyone.
"""

from __future__ import annotations

from datetime import timedelta

from publisher_email.confirmation import list_title
from publisher_email.links import Holder, email_lists, find_holder
from publisher_email.membership import leave, rejoin

ONE_CLICK = "List-Unsubscribe=One-Click"


def _holder(request, web, token: str) -> Holder | None:
    return find_holder(web.workspace.destinations(), token) if len(token) <= 1000 else None


def invalid_link(request, web):
    return web.error(
        request,
        400,
        "This link is not valid",
        "The link may have been cut short or changed on its way. Use the link in the most "
        "recent email you received from us, or write to us and we will help.",
    )


def _title(web, holder: Holder) -> str:
    several = len(list(email_lists(web.workspace.destinations()))) > 1
    return list_title(holder.destination, several)


def unsubscribe_page(request, web):
    """The page behind the link: one button, and nothing changes until it is pressed."""
    token = request.query_params.get("token", "")
    holder = _holder(request, web, token)
    if holder is None:
        return invalid_link(request, web)
    return web.page(request, "pages/unsubscribe.html", token=token, title=_title(web, holder))


def unsubscribe(request, web):
    """One-click unsubscribe (RFC 8058), and the page's button."""
    token = request.query_params.get("token", "") or web.form(request).get("token", "")
    holder = _holder(request, web, token)
    if holder is None:
        return invalid_link(request, web)
    one_click = web.form(request).get("List-Unsubscribe") == "One-Click"
    settings = holder.destination.settings
    client = web.client(request) if settings.record_ip else None
    leave(holder, "one-click" if one_click else "page", client)
    return web.page(
        request,
        "pages/unsubscribed.html",
        token=token,
        title=_title(web, holder),
        can_return=holder.address is not None,
    )


def resubscribe(request, web):
    """The button on the page after unsubscribing."""
    token = web.form(request).get("token", "")
    holder = _holder(request, web, token)
    if holder is None or holder.address is None:
        return invalid_link(request, web)
    settings = holder.destination.settings
    client = web.client(request) if settings.record_ip else None
    within = timedelta(hours=settings.resubscribe_within)
    if not rejoin(holder, client, web.url(request, "unsubscribe"), within):
        # One answer for every reason (bounced, complained, too late, changed since): the
        # page says nothing about the address to whoever holds an old email.
        return web.page(request, "pages/resubscribe_closed.html", title=_title(web, holder))
    return web.page(request, "pages/resubscribed.html", token=token, title=_title(web, holder))
