"""Leaving and coming back through a link: the status change and its consent record, in one
transaction.

Coming back is narrow on purpose: anyone who holds an old email holds its link. Only an
address that a link's own unsubscribe made `unsubscribed` returns, and only for a while
after (`resubscribe_within`); an address the bounce rules or a complaint stopped, or one
the operator changed since, needs `publisher subscribers add`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, select, update

from publisher_email.consent import consent, note
from publisher_email.links import Holder
from publisher_email.storage import aware, now
from publisher_email.subscribers import subscribers

BY_LINK = ("one-click", "page")  # how `leave` records an unsubscribe made through a link


def leave(holder: Holder, detail: str, client: str | None) -> bool:
    """Unsubscribe the holder's address if it is active; False when there was nothing to do
    (already gone, or a token whose subscriber is no longer on the list)."""
    if holder.address is None:
        return False
    members = holder.subscribers
    where = and_(
        subscribers.c.list == members.list,
        subscribers.c.address == holder.address,
        subscribers.c.status == "active",
    )
    stamp = now()
    with members.engine.begin() as db:
        changed = db.execute(
            update(subscribers).where(where).values(status="unsubscribed", updated_at=stamp)
        ).rowcount
        if changed:
            note(db, members.list, holder.address, "unsubscribed", stamp, None, client, detail)
    return bool(changed)


def rejoin(holder: Holder, client: str | None, page: str, within: timedelta) -> bool:
    """Subscribe the holder's address again (the reader pressed the button); True when it is
    subscribed now, False when this link cannot bring it back."""
    if holder.address is None:
        return False
    members = holder.subscribers
    key = and_(subscribers.c.list == members.list, subscribers.c.address == holder.address)
    stamp = now()
    with members.engine.begin() as db:
        row = db.execute(select(subscribers.c.status, subscribers.c.updated_at).where(key)).first()
        if row is None or row.status != "unsubscribed":
            return row is not None and row.status == "active"  # a second press: still in
        last = db.execute(
            select(consent.c.event, consent.c.detail, consent.c.at)
            .where(consent.c.list == members.list, consent.c.address == holder.address)
            .order_by(consent.c.at.desc(), consent.c.id.desc())
            .limit(1)
        ).first()
        left_by_link = (
            last is not None
            and last.event == "unsubscribed"
            and last.detail in BY_LINK
            and aware(row.updated_at) <= aware(last.at)  # nothing changed the row since
            and stamp - aware(last.at) <= within
        )
        if not left_by_link:
            return False
        changed = db.execute(
            update(subscribers)
            .where(key, subscribers.c.status == "unsubscribed")
            .values(status="active", updated_at=stamp)
        ).rowcount
        if changed:
            note(db, members.list, holder.address, "resubscribed", stamp, page, client, "page")
    return bool(changed)
