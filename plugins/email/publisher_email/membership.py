"""Leaving and coming back through a link: the status change and its consent record, in one
transaction."""

from __future__ import annotations

from sqlalchemy import and_, update

from publisher_email.consent import note
from publisher_email.links import Holder
from publisher_email.storage import now
from publisher_email.subscribers import subscribers


def leave(holder: Holder, detail: str, client: str | None) -> bool:
    """Unsubscribe the holder's address if it is active; False when there was nothing to do
    (already gone, or a token whose subscriber is no longer on the list)."""
    return _move(holder, "active", "unsubscribed", "unsubscribed", detail, client)


def rejoin(holder: Holder, client: str | None, page: str) -> bool:
    """Subscribe the holder's address again (the reader pressed the button)."""
    return _move(holder, None, "active", "resubscribed", "page", client, page)


def _move(
    holder: Holder,
    before: str | None,
    after: str,
    event,
    detail: str,
    client: str | None,
    page: str | None = None,
) -> bool:
    if holder.address is None:
        return False
    members = holder.subscribers
    where = and_(subscribers.c.list == members.list, subscribers.c.address == holder.address)
    where = and_(where, subscribers.c.status == before if before else subscribers.c.status != after)
    stamp = now()
    with members.engine.begin() as db:
        changed = db.execute(
            update(subscribers).where(where).values(status=after, updated_at=stamp)
        ).rowcount
        if changed:
            note(db, members.list, holder.address, event, stamp, page, client, detail)
    return bool(changed)
