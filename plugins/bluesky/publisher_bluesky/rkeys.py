"""The record key of each part, chosen before it is created and kept in the state database.

A post's record key (a TID: a timestamp and a clock id, 13 characters of
base32-sortable) is ours to choose. It is chosen from the clock once per part
and stored under the part's idempotency key before the create is sent, so
that every later attempt, in this run or after a crash, uses the same key:
the record either exists under it (`getRecord` finds it) or was never made,
and a second create under a taken key is refused by the server, never posted
twice. Deriving the key from the idempotency key alone would need no storage,
but would date posts at random in 1970-2255; TIDs are meant to be the time of
creation, and the repository is ordered by them.

The keys live in the plugin's own table, `bluesky_rkeys`, made by its own
migrations (`migrations/`, the `publisher_migrations` hook): they are what finds
a post that went out unrecorded, a durable record that a cache may not drop.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select

from publisher import Destination

if TYPE_CHECKING:
    from publisher_bluesky.settings import BlueskySettings

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
LENGTH = 13

metadata = MetaData()
rkeys = Table(
    "bluesky_rkeys",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("rkey", String(LENGTH), nullable=False),
    Column("chosen_at", DateTime(timezone=True), nullable=False),
)

_lock = threading.Lock()
_last = 0


def tid(micros: int, clock_id: int) -> str:
    """The TID for a time in microseconds since 1970 and a clock id (0-1023); top bit 0."""
    value = (micros << 10) | (clock_id & 0x3FF)
    value &= (1 << 63) - 1
    return "".join(ALPHABET[(value >> (5 * shift)) & 31] for shift in reversed(range(LENGTH)))


def now() -> str:
    """A TID for this moment, later than any this process made before."""
    global _last
    with _lock:
        _last = max(time.time_ns() // 1000, _last + 1)
        return tid(_last, random.randrange(1024))


def stored(destination: Destination[BlueskySettings], idempotency_key: str) -> str | None:
    """The key chosen for this part by an earlier attempt, if any attempt got that far."""
    if not destination.state.exists:
        return None
    with destination.state.engine.begin() as db:
        query = select(rkeys.c.rkey).where(rkeys.c.idempotency_key == idempotency_key)
        return db.execute(query).scalar()


def claim(destination: Destination[BlueskySettings], idempotency_key: str) -> str:
    """The part's record key: the one chosen before, or a new one, stored before it is used.

    Only one run holds a part at a time (the core's ledger sees to that), so the look and
    the insert need no more than one transaction.
    """
    with destination.state.engine.begin() as db:
        query = select(rkeys.c.rkey).where(rkeys.c.idempotency_key == idempotency_key)
        rkey = db.execute(query).scalar()
        if rkey is None:
            rkey = now()
            chosen = {"idempotency_key": idempotency_key, "rkey": rkey}
            db.execute(insert(rkeys).values(**chosen, chosen_at=datetime.now(UTC)))
    return rkey
