"""The per-recipient ledger: every copy of a send, marked before it goes out, settled after.

The core ledger holds the email as one part; this table holds its recipients,
keyed by the core's delivery id (edition, destination, round) and address. A
restarted send skips those who have it and sends the rest: only copies that
were in flight when a process died (on the wire, or sent and not yet recorded:
at most `settling.in_flight(connections)`) can arrive twice, and those carry
the same Message-ID.

A claim takes a recipient only if nobody claimed it since this attempt began:
two runs that somehow worked on one delivery at once (the core lets only one
hold it) still could not both send to the same address. A permanent refusal
is final for the run that got it; a later run (after a fix) tries once more.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Insert,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from publisher_email.storage import metadata, now, pages
from publisher_email.subscribers import subscribers

Outcome = Literal["sent", "deferred", "failed"]
Address = TypeVar("Address", bound=str)  # an address, or a Recipient that carries its token

recipients = Table(
    "email_recipients",
    metadata,
    Column("delivery_id", String(300), primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("status", String(20), nullable=False),  # sending, sent, deferred, failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Built once: the send's writer runs these every few milliseconds.
_SETTLE_SENT = (
    update(recipients)
    .where(
        recipients.c.delivery_id == bindparam("delivery"),
        recipients.c.address.in_(bindparam("who", expanding=True)),
    )
    .values(status="sent", last_error=None, updated_at=bindparam("at"))
)
_SETTLE_REFUSED = (
    update(recipients)
    .where(
        recipients.c.delivery_id == bindparam("delivery"),
        recipients.c.address == bindparam("who"),
        recipients.c.status != "sent",
    )
    .values(status=bindparam("outcome"), last_error=bindparam("error"))
)


class Recipient(str):
    """An address that carries its subscriber's number and link token id, so that a send
    never looks either up one recipient at a time."""

    token: str | None
    subscriber_id: int | None

    def __new__(
        cls, address: str, token: str | None = None, subscriber_id: int | None = None
    ) -> Recipient:
        recipient = super().__new__(cls, address)
        recipient.token = token
        recipient.subscriber_id = subscriber_id
        return recipient


class Recipients:
    """The recipients of one delivery, drawn from the active subscribers of one list.

    One instance serves one attempt at the send. `run_started` is when the run
    began (its first attempt): recipients who refused the copy since then are
    not asked again in this run.
    """

    def __init__(
        self,
        engine: Engine,
        delivery_id: str,
        list_name: str,
        run_started: datetime | None = None,
    ) -> None:
        self.engine = engine
        self.delivery_id = delivery_id
        self.list = list_name
        self.started = now()
        self.run_started = run_started or self.started

    def _open(self):
        """Rows still to be sent in this run: not sent, and not refused during it."""
        status = recipients.c.status
        return or_(
            status.is_(None),
            and_(
                status != "sent",
                or_(status != "failed", recipients.c.updated_at < self.run_started),
            ),
        )

    def _unsettled(self):
        """Active subscribers of the list still to be sent this delivery in this run."""
        joined = subscribers.outerjoin(
            recipients,
            and_(
                recipients.c.delivery_id == self.delivery_id,
                recipients.c.address == subscribers.c.address,
            ),
        )
        return joined, and_(
            subscribers.c.list == self.list,
            subscribers.c.status == "active",
            self._open(),
        )

    def pending(self) -> Iterator[list[Recipient]]:
        """Addresses still to be sent, a page at a time, in the order subscribers joined."""
        joined, condition = self._unsettled()
        query = (
            select(subscribers.c.id, subscribers.c.address, subscribers.c.token)
            .select_from(joined)
            .where(condition)
        )
        for page in pages(self.engine, query, subscribers.c.id):
            yield [Recipient(row.address, row.token, row.id) for row in page]

    def progress(self) -> tuple[int, int]:
        """(settled, settled + still to send), for the progress bar."""
        joined, condition = self._unsettled()
        with self.engine.begin() as db:
            settled = db.execute(
                select(func.count()).where(
                    recipients.c.delivery_id == self.delivery_id, ~self._open()
                )
            ).scalar_one()
            remaining = db.execute(
                select(func.count()).select_from(joined).where(condition)
            ).scalar_one()
        return settled, settled + remaining

    def claim(self, addresses: Sequence[Address]) -> list[Address]:
        """Mark addresses as being sent, before any of them goes out; return those taken.

        Only the returned addresses may be sent to: the others went out, were
        refused in this run, or were claimed by another run since this attempt
        began.
        """
        key = recipients.c.delivery_id == self.delivery_id
        # A refusal is final within the run; anything else only if nobody claimed it since.
        free_since = case((recipients.c.status == "failed", self.run_started), else_=self.started)
        taken: set[str] = set()
        with self.engine.begin() as db:
            known = set(
                db.scalars(
                    select(recipients.c.address).where(key, recipients.c.address.in_(addresses))
                )
            )
            if known:
                taken.update(
                    db.scalars(
                        update(recipients)
                        .where(
                            key,
                            recipients.c.address.in_(known),
                            recipients.c.status != "sent",
                            recipients.c.updated_at < free_since,
                        )
                        .values(
                            status="sending",
                            attempts=recipients.c.attempts + 1,
                            updated_at=now(),
                        )
                        .returning(recipients.c.address)
                    )
                )
            fresh = [address for address in addresses if address not in known]
            if fresh:
                rows = [
                    {
                        "delivery_id": self.delivery_id,
                        "address": address,
                        "status": "sending",
                        "attempts": 1,
                        "updated_at": now(),
                    }
                    for address in fresh
                ]
                inserted = _insert_unless_taken(self.engine).returning(recipients.c.address)
                taken.update(db.scalars(inserted, rows))
        return [address for address in addresses if address in taken]

    def settle_many(self, outcomes: Sequence[tuple[str, Outcome, str | None]]) -> None:
        """Record what the server said of several copies, in one transaction, a row each;
        a refusal never overwrites a copy that went out."""
        at = now()
        sent = [address for address, outcome, _ in outcomes if outcome == "sent"]
        refusals = [
            {"delivery": self.delivery_id, "who": address, "outcome": outcome, "error": error}
            for address, outcome, error in outcomes
            if outcome != "sent"
        ]
        with self.engine.begin() as db:
            if sent:
                db.execute(_SETTLE_SENT, {"delivery": self.delivery_id, "who": sent, "at": at})
            if refusals:
                db.execute(_SETTLE_REFUSED.values(updated_at=at), refusals)

    def with_status(self, status: Outcome, limit: int = 5) -> tuple[int, list[tuple[str, str]]]:
        """How many recipients have `status`, and the first few with their last error."""
        where = (recipients.c.delivery_id == self.delivery_id, recipients.c.status == status)
        with self.engine.begin() as db:
            count = db.execute(select(func.count()).where(*where)).scalar_one()
            rows = db.execute(
                select(recipients.c.address, recipients.c.last_error)
                .where(*where)
                .order_by(recipients.c.updated_at)
                .limit(limit)
            ).all()
        return count, [(row.address, row.last_error or "") for row in rows]

    def refused(self, limit: int = 5) -> tuple[int, list[tuple[str, str]]]:
        """Recipients who refused the copy for good, and the first few with the reason.

        Every refusal of this run counts, even when the bounce rules have already
        taken the address off the list; one from an earlier run counts while the
        address is still active (removing an address that no longer exists is how
        a send with refusals is settled).
        """
        member = and_(
            subscribers.c.list == self.list, subscribers.c.address == recipients.c.address
        )
        joined = recipients.outerjoin(subscribers, member)
        where = (
            recipients.c.delivery_id == self.delivery_id,
            recipients.c.status == "failed",
            or_(recipients.c.updated_at >= self.run_started, subscribers.c.status == "active"),
        )
        with self.engine.begin() as db:
            count = db.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
            rows = db.execute(
                select(recipients.c.address, recipients.c.last_error)
                .select_from(joined)
                .where(*where)
                .order_by(recipients.c.updated_at)
                .limit(limit)
            ).all()
        return count, [(row.address, row.last_error or "") for row in rows]


def _insert_unless_taken(engine: Engine) -> Insert:
    """An insert that skips rows another run inserted first, where the database can say so."""
    keys = [recipients.c.delivery_id, recipients.c.address]
    if engine.dialect.name == "postgresql":
        return postgresql.insert(recipients).on_conflict_do_nothing(index_elements=keys)
    if engine.dialect.name == "sqlite":
        return sqlite.insert(recipients).on_conflict_do_nothing(index_elements=keys)
    return insert(recipients)  # elsewhere a clash fails the send, which the next run resumes
