"""Sign-up with double opt-in: the form, the confirmation email, the confirmation page.

The answer to the form is the same page whether the address is new, waiting
for its confirmation or already subscribed, so the form tells nobody who is
on the list. Rate limits per client address and per address signed up, a
honeypot field, and one confirmation per address per expiry time keep it
from being used to flood anyone's mailbox.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

from publisher import Destination
from publisher_email.confirmation import list_title, send_confirmation
from publisher_email.links import email_lists, opened, signing_key
from publisher_email.pages import invalid_link
from publisher_email.render import list_name
from publisher_email.signups import Confirmed, Expired, Signups
from publisher_email.subscribers import clean_name, normalize_address

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings

log = logging.getLogger("publisher.email")

PER_CLIENT = (10, 3600.0)  # sign-ups a client address may send an hour
PER_ADDRESS = (3, 86400.0)  # form posts for one address a day (mails: one per expiry time)
HONEYPOT = "website"  # hidden from people; bots that fill every field fill it
# The page a form was sent from, as kept with the consent: a path on this site, in the
# characters a URL may hold (RFC 3986), never another site's ("//host/...").
_PAGE = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]{0,499}")


def _lists(web) -> list[Destination[EmailSettings]]:
    return [d for d in email_lists(web.workspace.destinations()) if d.settings.signup]


def _choices(lists: list[Destination[EmailSettings]]) -> list[tuple[str, str]]:
    return [(list_name(d), list_title(d, len(lists) > 1)) for d in lists]


def _signups(destination: Destination[EmailSettings]) -> Signups:
    hours = timedelta(hours=destination.settings.confirm_within)
    return Signups(destination.state.engine, list_name(destination), hours)


def _form_page(request, web, lists, status=200, error=None, values=None):
    page = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return web.page(
        request,
        "pages/subscribe.html",
        status=status,
        lists=_choices(lists),
        error=error,
        values=values or {},
        page=_page((values or {}).get("page", "")) or page,
        honeypot=HONEYPOT,
    )


def form(request, web):
    """The sign-up form."""
    lists = _lists(web)
    if not lists:
        return web.error(request, 404, "Sign-up is closed", "This site takes no sign-ups.")
    return _form_page(request, web, lists)


def _name(text: str) -> str:
    """A display name as typed, without control characters, at most 200 characters."""
    return clean_name(text)[:200]


def _page(text: str) -> str:
    """The form's own page, when the hidden field holds a path on this site; else nothing
    (a bot or a hand-made request may send anything there)."""
    return text if _PAGE.fullmatch(text) else ""


def send(request, web):
    """The form, sent: answer the same for every address; mail a confirmation when due."""
    lists = _lists(web)
    if not lists:
        return web.error(request, 404, "Sign-up is closed", "This site takes no sign-ups.")
    fields = web.form(request)
    values = {key: fields.get(key, "")[:400] for key in ("email", "name", "list", "page")}
    client = web.client(request)
    if not web.allow("signup-client", client or "unknown", *PER_CLIENT):
        return web.error(
            request,
            429,
            "Too many sign-ups",
            "This connection sent the form too often. Please try again in an hour.",
            **{"Retry-After": "3600"},
        )
    chosen = next((d for d in lists if list_name(d) == values["list"]), None)
    if chosen is None and len(lists) == 1:
        chosen = lists[0]
    if chosen is None:
        return _form_page(request, web, lists, 400, "Choose a newsletter.", values)
    try:
        address = normalize_address(values["email"])
    except ValueError:
        error = "That does not look like an email address. Please check it."
        return _form_page(request, web, lists, 400, error, values)
    title = list_title(chosen, len(lists) > 1)
    answer = web.page(request, "pages/subscribe_sent.html", title=title)
    if fields.get(HONEYPOT):
        return answer  # a bot: it learns nothing, and nobody is mailed
    if not web.allow("signup-address", f"{list_name(chosen)}\x1f{address}", *PER_ADDRESS):
        return answer
    if signing_key(chosen) is None:
        log.error("%s: sign-up refused: EMAIL_SIGNING_KEY is not set", chosen.name)
        return _unavailable(request, web)
    page = _page(values["page"])
    signups = _signups(chosen)
    settings = chosen.settings
    token_id = signups.request(
        address, _name(values["name"]), page, client if settings.record_ip else None
    )
    if token_id is None:
        return answer  # mailed within the expiry time: that link still works
    sent = False
    try:
        send_confirmation(chosen, address, token_id, title)
        sent = True
    except Exception as error:  # the server, the outbox folder, a template, the DKIM key...
        log.error("%s: the confirmation email could not be sent: %s", chosen.name, error)
        return _unavailable(request, web)
    finally:
        if not sent:  # whatever stopped it (even a cancelled request): the reader may retry
            signups.unclaim(token_id)
    return answer


def _unavailable(request, web):
    return web.error(
        request,
        503,
        "Please try again later",
        "We could not send the confirmation email just now. Please try again in a few minutes.",
        **{"Retry-After": "300"},
    )


def _confirmation(web, token: str) -> tuple[Destination[EmailSettings], str] | None:
    """The list and sign-up id of a confirmation token, if it is one of ours."""
    if len(token) > 200:
        return None
    for destination in _lists(web):
        token_id = opened(destination, "confirm", token)
        if token_id is not None:
            return destination, token_id
    return None


def confirm_page(request, web):
    """The link in the confirmation email: a button, so that a scanner confirms nothing."""
    token = request.query_params.get("token", "")
    found = _confirmation(web, token)
    if found is None:
        return invalid_link(request, web)
    destination, _ = found
    title = list_title(destination, len(_lists(web)) > 1)
    return web.page(request, "pages/confirm.html", token=token, title=title)


def confirm(request, web):
    """The button: subscribe, and record the consent."""
    token = web.form(request).get("token", "")
    found = _confirmation(web, token)
    if found is None:
        return invalid_link(request, web)
    destination, token_id = found
    client = web.client(request) if destination.settings.record_ip else None
    outcome = _signups(destination).confirm(token_id, web.url(request, "confirm"), client)
    if isinstance(outcome, Expired):
        return web.error(
            request,
            400,
            "This link has expired",
            "Confirmation links work for a limited time. Please sign up again; "
            "we will send you a new one.",
        )
    if not isinstance(outcome, Confirmed):
        return invalid_link(request, web)
    title = list_title(destination, len(_lists(web)) > 1)
    return web.page(request, "pages/confirmed.html", title=title)
