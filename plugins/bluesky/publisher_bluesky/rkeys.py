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
"""

from __future__ import annotations

import random
import threading
import time
from typing import TYPE_CHECKING

from publisher import Destination

if TYPE_CHECKING:
    from publisher_bluesky.settings import BlueskySettings

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
LENGTH = 13

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


def _cache_key(idempotency_key: str) -> str:
    return f"bluesky:rkey:{idempotency_key}"


def stored(destination: Destination[BlueskySettings], idempotency_key: str) -> str | None:
    """The key chosen for this part by an earlier attempt, if any attempt got that far."""
    return destination.state.get(_cache_key(idempotency_key))


def claim(destination: Destination[BlueskySettings], idempotency_key: str) -> str:
    """The part's record key: the one chosen before, or a new one, stored before it is used."""
    rkey = stored(destination, idempotency_key)
    if rkey is None:
        rkey = now()
        destination.state.put(_cache_key(idempotency_key), rkey)
    return rkey
