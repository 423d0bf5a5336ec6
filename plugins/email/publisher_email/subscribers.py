"""Subscribers in the state database: one row per list and address, with a status.

An unsubscribed, bounced or complained address keeps its row, so that a later
import can never quietly subscribe it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import unquote
from typing import TypeGuard

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from publisher.text import plain_line
from publisher_email.statuses import STATUSES, Status
from publisher_email.storage import metadata, now, pages
from publisher_email.tokens import new_id


def is_status(text: str) -> TypeGuard[Status]:
    """Whether `text` is one of STATUSES (read from a CSV file, say)."""
    return text in STATUSES


# 'Name <address>' as mail programs copy it; a quoted name may hold commas.
_MAILBOX = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>]*)>")
NAME_LENGTH = 200  # the name column's size

subscribers = Table(
    "email_subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("address", String(320), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The random id in the subscriber's opaque link tokens (tokens.py); rows made before
    # it existed get one before their next send.
    Column("token", String(32)),
    UniqueConstraint("list", "address", name="email_subscribers_list_address"),
    Index("email_subscribers_token", "token", unique=True),
)


def normalize_address(text: str) -> str:
    """A deliverable-looking address in one canonical form; ValueError says what is wrong.

    No DNS lookups (imports stay fast and offline). Addresses whose local part
    needs SMTPUTF8 are refused, since many servers on the way cannot carry them;
    international domains are kept in their ASCII (IDNA) form. Lower case, so the
    same person is never on a list twice.
    """
    try:
        checked = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return (checked.ascii_email or checked.normalized).lower()


def clean_name(name: str) -> str:
    """A display name as it is stored and shown: control characters and bidi overrides
    removed, tabs and line breaks folded to single spaces (`publisher.text.plain_line`)."""
    return plain_line(name)


def check_name(name: str) -> str:
    """The cleaned name; ValueError when it is longer than the database keeps."""
    name = clean_name(name)
    if len(name) > NAME_LENGTH:
        raise ValueError(f"the name is {len(name)} characters long; at most {NAME_LENGTH} fit")
    return name


def parse_mailbox(text: str) -> tuple[str, str]:
    """(address, display name) from 'Name <address>' or a bare address ('' for no name).

    Addresses are pasted from mail programs with their names; one mailbox only,
    so a pasted list of several is refused rather than cut to its first.
    """
    match = _MAILBOX.fullmatch(text.strip())
    if match is None:
        return normalize_address(text), ""
    return normalize_address(match["address"]), unquote(match["name"].strip())


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    name: str
    status: Status
    created_at: datetime
    updated_at: datetime
    token: str | None


class Subscribers:
    """The subscribers of one list."""

    def __init__(self, engine: Engine, list_name: str) -> None:
        self.engine = engine
        self.list = list_name

    def add(self, address: str, name: str = "", status: Status = "active") -> bool:
        """Add one address; False (and no change) when it is already on the list."""
        return self.add_many([(address, name, status)]) == 1

    def add_many(self, rows: list[tuple[str, str, Status]]) -> int:
        """Add (address, name, status) rows in one transaction; returns how many were new.

        Addresses already on the list (or twice in `rows`) are left alone. Names are
        cleaned (`clean_name`); one too long for the column is a ValueError, before
        anything is written.
        """
        fresh: dict[str, tuple[str, Status]] = {}
        for address, name, status in rows:
            fresh.setdefault(address, (check_name(name), status))
        if not fresh:
            return 0
        with self.engine.begin() as db:
            known = db.scalars(
                select(subscribers.c.address).where(
                    subscribers.c.list == self.list, subscribers.c.address.in_(list(fresh))
                )
            ).all()
            for address in known:
                del fresh[address]
            if fresh:
                stamp = now()
                db.execute(
                    insert(subscribers),
                    [
                        {
                            "list": self.list,
                            "address": address,
                            "name": name,
                            "status": status,
                            "created_at": stamp,
                            "updated_at": stamp,
                            "token": new_id(),
                        }
                        for address, (name, status) in fresh.items()
                    ],
                )
        return len(fresh)

    def get(self, address: str) -> Subscriber | None:
        with self.engine.begin() as db:
            row = db.execute(
                select(subscribers).where(
                    subscribers.c.list == self.list, subscribers.c.address == address
                )
            ).first()
        return _subscriber(row) if row else None

    def by_token(self, token_id: str) -> Subscriber | None:
        """The subscriber whose links carry `token_id`."""
        with self.engine.begin() as db:
            row = db.execute(
                select(subscribers).where(
                    subscribers.c.list == self.list, subscribers.c.token == token_id
                )
            ).first()
        return _subscriber(row) if row else None

    def token_of(self, address: str) -> str | None:
        """The token id of `address` (given one now if its row predates them); None when the
        address is not on the list."""
        subscriber = self.get(address)
        if subscriber is None or subscriber.token:
            return subscriber.token if subscriber else None
        self.ensure_tokens()
        known = self.get(address)
        return known.token if known else None

    def ensure_tokens(self) -> int:
        """Give every row of the list without a token id one; returns how many were given."""
        query = select(subscribers.c.id).where(
            subscribers.c.list == self.list, subscribers.c.token.is_(None)
        )
        given = 0
        for page in pages(self.engine, query, subscribers.c.id):
            with self.engine.begin() as db:
                for row in page:
                    db.execute(
                        update(subscribers)
                        .where(subscribers.c.id == row.id, subscribers.c.token.is_(None))
                        .values(token=new_id())
                    )
            given += len(page)
        return given

    def set_status(self, address: str, status: Status, name: str | None = None) -> bool:
        """Change an address's status (and name, when given); False when it is not on the list."""
        values: dict[str, object] = {"status": status, "updated_at": now()}
        if name:
            values["name"] = check_name(name)
        with self.engine.begin() as db:
            result = db.execute(
                update(subscribers)
                .where(subscribers.c.list == self.list, subscribers.c.address == address)
                .values(**values)
            )
        return result.rowcount > 0

    def counts(self) -> dict[str, int]:
        """How many addresses have each status."""
        with self.engine.begin() as db:
            rows = db.execute(
                select(subscribers.c.status, func.count())
                .where(subscribers.c.list == self.list)
                .group_by(subscribers.c.status)
            )
            found: dict[str, int] = dict(rows.all())
        return {status: found.get(status, 0) for status in STATUSES}

    def stream(self, status: Status | None = None) -> Iterator[Subscriber]:
        """Every subscriber in the order they joined, read a page at a time."""
        query = select(subscribers).where(subscribers.c.list == self.list)
        if status is not None:
            query = query.where(subscribers.c.status == status)
        for page in pages(self.engine, query, subscribers.c.id):
            yield from (_subscriber(row) for row in page)


def _subscriber(row) -> Subscriber:
    return Subscriber(
        row.id, row.address, row.name, row.status, row.created_at, row.updated_at, row.token
    )
