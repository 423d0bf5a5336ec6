"""Bounces and complaints, wherever they came from, and the rules that stop mail to an address.

Every event lands in one table, whether the SMTP server refused a copy, a
bounce arrived in the bounce mailbox, or an email service called a webhook.
Each carries a reference that is unique to it (the bounce message's id and
the address, the provider's event id), so reading the same bounce twice
changes nothing. Each send of an edition to a list gets a small number, which
VERP return paths carry and `publisher status` reports by.

The rules, from the destination's settings: `hard_bounce_limit` hard bounces
(default 1) make an address `bounced`, and so do `soft_bounce_limit` soft
bounces (3) in as many of the list's last `soft_bounce_editions` editions (5);
`complaint_limit` complaints (1) make it `complained`. Only an active address
changes status, and the row stays, so no import can bring it back; an address
subscribed again on purpose is judged by what came back since.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    distinct,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from publisher.text import plain_line
from publisher_email.letter import message_id
from publisher_email.recipients import recipients
from publisher_email.settings import EmailSettings
from publisher_email.storage import metadata, now
from publisher_email.subscribers import subscribers

Kind = Literal["hard", "soft", "complaint"]
log = logging.getLogger("publisher.email")

sends = Table(
    "email_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(300), nullable=False),
    Column("list", String(100), nullable=False),
    Column("edition_id", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("delivery_id", name="email_sends_delivery_id"),
)

bounces = Table(
    "email_bounces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("address", String(320), nullable=False),
    Column("send_id", Integer),  # email_sends.id; none when no edition could be told
    Column("kind", String(20), nullable=False),  # hard, soft, complaint
    Column("source", String(20), nullable=False),  # smtp, dsn, arf, bounce, ses, mailgun, ...
    Column("detail", Text, nullable=False, default=""),
    Column("reference", String(400), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("list", "reference", name="email_bounces_list_reference"),
    Index("email_bounces_list_address", "list", "address"),
    Index("email_bounces_send", "send_id"),
)

_MATCH_SENDS = 50  # how many recent editions a Message-ID is compared with


@dataclass(frozen=True)
class BounceEvent:
    """One bounce or complaint for one address, as a source reported it.

    `send_id` when the source knows the edition (a VERP token, the send in
    progress); otherwise `message_id`, the original copy's, is matched against
    the list's recent editions.
    """

    address: str
    kind: Kind
    source: str
    reference: str
    detail: str = ""
    send_id: int | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Rules:
    hard: int = 1
    soft: int = 3
    editions: int = 5
    complaints: int = 1

    @classmethod
    def of(cls, settings: EmailSettings) -> Rules:
        return cls(
            settings.hard_bounce_limit,
            settings.soft_bounce_limit,
            settings.soft_bounce_editions,
            settings.complaint_limit,
        )


@dataclass
class Recorded:
    """What recording some events did: new ones, repeats, strangers, and who was stopped."""

    new: int = 0
    repeated: int = 0
    unknown: int = 0  # addresses not on the list
    stopped: dict[str, str] = field(default_factory=dict)  # address -> its new status


@dataclass(frozen=True)
class EditionFigures:
    """One edition's copies and what came back, for `publisher status`."""

    edition_id: str
    started_at: datetime
    sent: int  # copies a server accepted
    refused: int  # copies a server refused, for good (5xx) or for now (4xx)
    hard: int
    soft: int
    complaints: int

    @property
    def copies(self) -> int:
        """The copies that reached a server, as the rates count them: a copy claimed by a
        run that stopped before sending it went nowhere, and is not counted."""
        return self.sent + self.refused

    def rate(self, count: int) -> float:
        return count / self.copies if self.copies else 0.0


def _local_part(message_id: str) -> str:
    return message_id.strip().strip("<>").partition("@")[0]


class BounceBook:
    """The bounces, complaints and sends of one list."""

    def __init__(self, engine: Engine, list_name: str, rules: Rules | None = None) -> None:
        self.engine = engine
        self.list = list_name
        self.rules = rules or Rules()

    # Sends ---------------------------------------------------------------------------

    def register_send(self, delivery_id: str, edition_id: str) -> int:
        """The number of this delivery, made on its first attempt and found on the next."""
        query = select(sends.c.id).where(sends.c.delivery_id == delivery_id)
        with self.engine.begin() as db:
            found = db.scalar(query)
            if found is not None:
                return found
        try:
            with self.engine.begin() as db:
                key = db.execute(
                    insert(sends).values(
                        delivery_id=delivery_id,
                        list=self.list,
                        edition_id=edition_id,
                        started_at=now(),
                    )
                ).inserted_primary_key
                assert key is not None, "an insert of one row has its key"
                return int(key[0])
        except IntegrityError:  # another run registered it a moment ago
            with self.engine.begin() as db:
                return db.execute(query).scalar_one()

    def send_exists(self, send_id: int) -> bool:
        with self.engine.begin() as db:
            found = db.scalar(
                select(sends.c.id).where(sends.c.id == send_id, sends.c.list == self.list)
            )
        return found is not None

    # Events --------------------------------------------------------------------------

    def record(self, events: Iterable[BounceEvent], apply: bool = True) -> Recorded:
        """Store new events (a known reference is a repeat, and changes nothing), then apply
        the rules to each address that had one (unless `apply` is false: the caller applies
        them later, with `apply_rules`)."""
        outcome = Recorded()
        touched: set[str] = set()
        for event in events:
            with self.engine.begin() as db:
                status = db.scalar(
                    select(subscribers.c.status).where(
                        subscribers.c.list == self.list, subscribers.c.address == event.address
                    )
                )
                if status is None:
                    outcome.unknown += 1
                    continue
                seen = db.scalar(
                    select(bounces.c.id).where(
                        bounces.c.list == self.list, bounces.c.reference == event.reference
                    )
                )
            if seen is not None:
                outcome.repeated += 1
                continue
            if self._insert(event):
                outcome.new += 1
                touched.add(event.address)
            else:
                outcome.repeated += 1
        for address in sorted(touched) if apply else ():
            status = self.apply_rules(address)
            if status is not None:
                outcome.stopped[address] = status
        return outcome

    def _insert(self, event: BounceEvent) -> bool:
        send_id = event.send_id or self._send_of(event)
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(bounces).values(
                        list=self.list,
                        address=event.address,
                        send_id=send_id,
                        kind=event.kind,
                        source=event.source,
                        # From a remote server or report: kept as one line, inert.
                        detail=plain_line(event.detail)[:2000],
                        reference=event.reference[:400],
                        received_at=now(),
                    )
                )
        except IntegrityError:  # the same event, recorded by another process meanwhile
            return False
        return True

    def _send_of(self, event: BounceEvent) -> int | None:
        """The edition a bounce without a VERP token belongs to: the one whose copy to this
        address had its Message-ID; for a soft bounce nothing names, the latest."""
        with self.engine.begin() as db:
            recent = db.execute(
                select(sends.c.id, sends.c.delivery_id)
                .where(sends.c.list == self.list)
                .order_by(sends.c.id.desc())
                .limit(_MATCH_SENDS)
            ).all()
        if event.message_id:
            wanted = _local_part(event.message_id)
            for row in recent:
                if _local_part(message_id(row.delivery_id, event.address, "")) == wanted:
                    return row.id
        if event.kind == "soft" and recent:
            return recent[0].id
        return None

    def apply_rules(self, address: str) -> str | None:
        """Stop mail to `address` if its events pass a limit; the new status, or None."""
        rules = self.rules
        with self.engine.begin() as db:
            subscriber = db.execute(
                select(subscribers.c.status, subscribers.c.updated_at).where(
                    subscribers.c.list == self.list, subscribers.c.address == address
                )
            ).first()
            if subscriber is None or subscriber.status != "active":
                return None
            # Only what came back since the address became active (again): someone
            # subscribed anew on purpose starts with a clean record.
            mine = and_(
                bounces.c.list == self.list,
                bounces.c.address == address,
                bounces.c.received_at >= subscriber.updated_at,
            )
            counts: dict[str, int] = dict(
                db.execute(
                    select(bounces.c.kind, func.count()).where(mine).group_by(bounces.c.kind)
                ).all()
            )
            latest = (
                select(sends.c.id)
                .where(sends.c.list == self.list)
                .order_by(sends.c.id.desc())
                .limit(rules.editions)
                .subquery()
            )
            soft_editions = db.execute(
                select(func.count(distinct(bounces.c.send_id))).where(
                    mine, bounces.c.kind == "soft", bounces.c.send_id.in_(select(latest.c.id))
                )
            ).scalar_one()
        if counts.get("complaint", 0) >= rules.complaints:
            status = "complained"
        elif counts.get("hard", 0) >= rules.hard or soft_editions >= rules.soft:
            status = "bounced"
        else:
            return None
        with self.engine.begin() as db:
            changed = db.execute(
                update(subscribers)
                .where(
                    subscribers.c.list == self.list,
                    subscribers.c.address == address,
                    subscribers.c.status == "active",
                )
                .values(status=status, updated_at=now())
            ).rowcount
        if changed:
            log.info("%s: %s is now %s; no more mail goes to it", self.list, address, status)
        return status if changed else None

    def withdraw_refusals(self, send_id: int) -> None:
        """Forget the refusals a send recorded at send time (a send nobody received)."""
        with self.engine.begin() as db:
            db.execute(
                delete(bounces).where(
                    bounces.c.list == self.list,
                    bounces.c.send_id == send_id,
                    bounces.c.source == "smtp",
                )
            )

    def delivered(self, delivery_id: str) -> int:
        """How many recipients a delivery reached so far."""
        with self.engine.begin() as db:
            return db.execute(
                select(func.count()).where(
                    recipients.c.delivery_id == delivery_id, recipients.c.status == "sent"
                )
            ).scalar_one()

    def withdraw_delivered(self, send_id: int, delivery_id: str) -> None:
        """A copy deferred (4xx) and then delivered by a later attempt was no soft bounce."""
        delivered = select(recipients.c.address).where(
            recipients.c.delivery_id == delivery_id, recipients.c.status == "sent"
        )
        with self.engine.begin() as db:
            db.execute(
                delete(bounces).where(
                    bounces.c.list == self.list,
                    bounces.c.send_id == send_id,
                    bounces.c.source == "smtp",
                    bounces.c.kind == "soft",
                    bounces.c.address.in_(delivered),
                )
            )

    # Reports -------------------------------------------------------------------------

    def editions(self, limit: int = 5) -> list[EditionFigures]:
        """The latest editions sent to this list, newest first, with what came back."""

        def copies(*statuses: str):
            return (
                select(func.count())
                .where(
                    recipients.c.delivery_id == sends.c.delivery_id,
                    recipients.c.status.in_(statuses),
                )
                .scalar_subquery()
            )

        def events(kind: str):
            return (
                select(func.count(distinct(bounces.c.address)))
                .where(and_(bounces.c.send_id == sends.c.id, bounces.c.kind == kind))
                .scalar_subquery()
            )

        query = (
            select(
                sends.c.edition_id,
                sends.c.started_at,
                copies("sent").label("sent"),
                copies("failed", "deferred").label("refused"),
                events("hard").label("hard"),
                events("soft").label("soft"),
                events("complaint").label("complaints"),
            )
            .where(sends.c.list == self.list)
            .order_by(sends.c.id.desc())
            .limit(limit)
        )
        with self.engine.begin() as db:
            rows = db.execute(query).all()
        return [
            EditionFigures(
                r.edition_id, r.started_at, r.sent, r.refused, r.hard, r.soft, r.complaints
            )
            for r in rows
        ]
