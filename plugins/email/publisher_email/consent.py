"""Proof of consent: when an address asked to join, from which page and client, when it
confirmed, and when it left (GDPR art. 7(1): the sender must be able to show consent).

One row per event, never changed afterwards; `publisher subscribers show` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
)

from publisher.text import plain_line
from publisher_email.storage import aware, metadata

Event = Literal["requested", "confirmed", "unsubscribed", "resubscribed"]

consent = Table(
    "email_consent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("address", String(320), nullable=False),
    Column("event", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("page", Text),  # the page the request came from, as the form gave it
    Column("client", String(64)),  # the client's address, unless record_ip = false
    Column("detail", Text),  # how: "one-click" (a mailbox provider's POST), "page", ...
    Index("email_consent_list_address", "list", "address"),
)


@dataclass(frozen=True)
class Record:
    event: Event
    at: datetime
    page: str | None
    client: str | None
    detail: str | None


def note(
    db: Connection,
    list_name: str,
    address: str,
    event: Event,
    at: datetime,
    page: str | None = None,
    client: str | None = None,
    detail: str | None = None,
) -> None:
    """Record one event, in the caller's transaction (with the change it proves).

    What a request said (its page, its client's address) is kept as one line without
    control characters: `publisher subscribers show` prints it to an operator's terminal.
    """
    db.execute(
        consent.insert().values(
            list=list_name,
            address=address,
            event=event,
            at=at,
            page=_kept(page, 500),
            client=_kept(client, 64),
            detail=_kept(detail, 500),
        )
    )


def _kept(text: str | None, most: int) -> str | None:
    return (plain_line(text)[:most] or None) if text else None


def records(engine: Engine, list_name: str, address: str) -> list[Record]:
    """Every event of an address on a list, oldest first."""
    with engine.begin() as db:
        rows = db.execute(
            select(consent)
            .where(consent.c.list == list_name, consent.c.address == address)
            .order_by(consent.c.at, consent.c.id)
        ).all()
    return [Record(r.event, aware(r.at), r.page, r.client, r.detail) for r in rows]
