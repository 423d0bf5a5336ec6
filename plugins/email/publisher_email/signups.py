"""Double opt-in: a sign-up waits here until its confirmation link is used.

One row per list and address. A confirmation is mailed at most once per
expiry time for an address, whatever its state (new, waiting, subscribed,
unsubscribed): the form answers the same in every case, and nobody can use
it to flood a stranger's mailbox. The link's token holds a random id that
changes with every mailing, so an expired link never comes back to life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from publisher.text import plain_line
from publisher_email.consent import note
from publisher_email.storage import aware, metadata, now
from publisher_email.subscribers import clean_name, subscribers
from publisher_email.tokens import new_id

KEEP_UNCONFIRMED = timedelta(days=30)  # then a sign-up nobody confirmed is forgotten

signups = Table(
    "email_signups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("address", String(320), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("token", String(32), nullable=False),  # the id in the mailed link
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("mailed_at", DateTime(timezone=True)),  # None: the mailing failed, try again
    Column("page", Text),
    Column("client", String(64)),
    Column("confirmed_at", DateTime(timezone=True)),
    UniqueConstraint("list", "address", name="email_signups_list_address"),
    UniqueConstraint("token", name="email_signups_token"),
)


@dataclass(frozen=True)
class Confirmed:
    address: str


@dataclass(frozen=True)
class Expired:
    """The link was ours, but too old: the reader signs up again."""


@dataclass(frozen=True)
class Pending:
    """A sign-up waiting for its confirmation: what the form said, and when it was mailed."""

    name: str
    requested_at: datetime
    mailed_at: datetime | None
    page: str | None
    client: str | None


class Signups:
    """The sign-ups of one list waiting for (or done with) their confirmation."""

    def __init__(self, engine: Engine, list_name: str, expiry: timedelta) -> None:
        self.engine = engine
        self.list = list_name
        self.expiry = expiry

    def request(self, address: str, name: str, page: str, client: str | None) -> str | None:
        """Record a sign-up; the token id to mail, or None when one was mailed to this
        address within the expiry time (nothing to send)."""
        stamp = now()
        fresh = new_id()
        values = {
            "token": fresh,
            "requested_at": stamp,
            "mailed_at": stamp,  # claimed now, so that two requests at once mail once
            "name": clean_name(name)[:200],
            "page": plain_line(page)[:500],
            "client": plain_line(client)[:64] if client else None,
            "confirmed_at": None,
        }
        where = and_(signups.c.list == self.list, signups.c.address == address)
        try:
            with self.engine.begin() as db:
                db.execute(
                    delete(signups).where(
                        signups.c.list == self.list,
                        signups.c.confirmed_at.is_(None),
                        signups.c.requested_at < stamp - KEEP_UNCONFIRMED,
                    )
                )
                claimed = db.execute(
                    update(signups)
                    .where(
                        where,
                        or_(
                            signups.c.mailed_at.is_(None),
                            signups.c.mailed_at < stamp - self.expiry,
                        ),
                    )
                    .values(**values)
                ).rowcount
                if claimed:
                    return fresh
                if db.execute(select(signups.c.id).where(where)).first() is not None:
                    return None
                db.execute(insert(signups).values(list=self.list, address=address, **values))
        except IntegrityError:  # the same address, signing up at the same moment
            return None
        return fresh

    def unclaim(self, token_id: str) -> None:
        """The confirmation could not be mailed: let the next request try again."""
        with self.engine.begin() as db:
            db.execute(update(signups).where(signups.c.token == token_id).values(mailed_at=None))

    def confirm(self, token_id: str, page: str, client: str | None) -> Confirmed | Expired | None:
        """Subscribe the address a confirmation token was mailed to, recording the consent;
        the same answer when the link is used again. None for a token we never mailed."""
        stamp = now()
        with self.engine.begin() as db:
            row = db.execute(
                select(signups).where(signups.c.list == self.list, signups.c.token == token_id)
            ).first()
            if row is None or row.mailed_at is None:
                return None
            if row.confirmed_at is not None:
                return Confirmed(row.address)
            if stamp - aware(row.mailed_at) > self.expiry:
                return Expired()
            self._subscribe(db, row.address, row.name, stamp)
            db.execute(update(signups).where(signups.c.id == row.id).values(confirmed_at=stamp))
            requested = aware(row.requested_at)
            note(db, self.list, row.address, "requested", requested, row.page, row.client)
            note(db, self.list, row.address, "confirmed", stamp, page, client)
        return Confirmed(row.address)

    def pending(self, address: str) -> Pending | None:
        """The unconfirmed sign-up of `address`, if there is one."""
        with self.engine.begin() as db:
            row = db.execute(
                select(signups).where(
                    signups.c.list == self.list,
                    signups.c.address == address,
                    signups.c.confirmed_at.is_(None),
                )
            ).first()
        if row is None:
            return None
        mailed = aware(row.mailed_at) if row.mailed_at else None
        return Pending(row.name, aware(row.requested_at), mailed, row.page, row.client)

    def _subscribe(self, db, address: str, name: str, stamp: datetime) -> None:
        key = and_(subscribers.c.list == self.list, subscribers.c.address == address)
        changes = {"status": "active", "updated_at": stamp}
        if name:
            changes["name"] = name
        if db.execute(update(subscribers).where(key).values(**changes)).rowcount:
            return
        db.execute(
            insert(subscribers).values(
                list=self.list,
                address=address,
                name=name,
                status="active",
                created_at=stamp,
                updated_at=stamp,
                token=new_id(),
            )
        )
