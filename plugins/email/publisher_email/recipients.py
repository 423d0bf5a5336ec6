"""The per-recipient ledger: every copy of a send, marked before it goes out, settled after.

The core ledger holds the email as one part; this table holds its recipients,
keyed by the core's delivery id (edition, destination, round) and address. A
restarted send skips what is settled and sends the rest: only copies that were
on the wire when a process died (at most one per open connection) can arrive
twice, and those carry the same Message-ID.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)

from publisher_email.storage import metadata, now, pages
from publisher_email.subscribers import subscribers

Outcome = Literal["sent", "deferred", "failed"]
SETTLED = ("sent", "failed")

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


class Recipient(str):
    """An address that carries its subscriber's link token id, so that a send never looks
    it up one recipient at a time."""

    token: str | None

    def __new__(cls, address: str, token: str | None = None) -> Recipient:
        recipient = super().__new__(cls, address)
        recipient.token = token
        return recipient


class Recipients:
    """The recipients of one delivery, drawn from the active subscribers of one list."""

    def __init__(self, engine: Engine, delivery_id: str, list_name: str) -> None:
        self.engine = engine
        self.delivery_id = delivery_id
        self.list = list_name

    def _unsettled(self):
        """Active subscribers of the list with no settled copy of this delivery."""
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
            or_(recipients.c.status.is_(None), recipients.c.status.not_in(SETTLED)),
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
            yield [Recipient(row.address, row.token) for row in page]

    def progress(self) -> tuple[int, int]:
        """(settled, settled + still to send), for the progress bar."""
        joined, condition = self._unsettled()
        with self.engine.begin() as db:
            settled = db.scalar(
                select(func.count()).where(
                    recipients.c.delivery_id == self.delivery_id,
                    recipients.c.status.in_(SETTLED),
                )
            )
            remaining = db.scalar(select(func.count()).select_from(joined).where(condition))
        return settled, settled + remaining

    def claim(self, addresses: list[str]) -> None:
        """Mark addresses as being sent, before any of them goes out."""
        key = recipients.c.delivery_id == self.delivery_id
        with self.engine.begin() as db:
            known = set(
                db.scalars(
                    select(recipients.c.address).where(key, recipients.c.address.in_(addresses))
                )
            )
            if known:
                db.execute(
                    update(recipients)
                    .where(key, recipients.c.address.in_(known))
                    .values(status="sending", attempts=recipients.c.attempts + 1, updated_at=now())
                )
            fresh = [address for address in addresses if address not in known]
            if fresh:
                db.execute(
                    insert(recipients),
                    [
                        {
                            "delivery_id": self.delivery_id,
                            "address": address,
                            "status": "sending",
                            "attempts": 1,
                            "updated_at": now(),
                        }
                        for address in fresh
                    ],
                )

    def settle(self, address: str, outcome: Outcome, error: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(
                update(recipients)
                .where(
                    recipients.c.delivery_id == self.delivery_id, recipients.c.address == address
                )
                .values(status=outcome, last_error=error, updated_at=now())
            )

    def with_status(self, status: Outcome, limit: int = 5) -> tuple[int, list[tuple[str, str]]]:
        """How many recipients have `status`, and the first few with their last error."""
        where = (recipients.c.delivery_id == self.delivery_id, recipients.c.status == status)
        with self.engine.begin() as db:
            count = db.scalar(select(func.count()).where(*where))
            rows = db.execute(
                select(recipients.c.address, recipients.c.last_error)
                .where(*where)
                .order_by(recipients.c.updated_at)
                .limit(limit)
            ).all()
        return count, [(row.address, row.last_error or "") for row in rows]
