"""The posts this process made on each X account, to name the original of a duplicate.

X refuses a post whose text the account already has; when this process made
that post (a second destination on the same account, say), the refusal says
which part it was. The record is bounded: the latest `MOST` posts, whatever
account made them, each kept as a digest of its account and text (never the
text or the token) with the part that made it, so a `schedule run` that lives
for months holds no more than that. A lookup finds only what the same account
made: the account (API URL and access token) is part of the digest.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

MOST = 1_000  # posts remembered (forty threads of 25): a few hundred KB at most


class MadePosts:
    """Which part made each post, by account and text; the oldest forgotten past `most`."""

    def __init__(self, most: int = MOST) -> None:
        self._most = most
        self._parts: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, account: str, text: str, part: str) -> None:
        key = _key(account, text)
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self._most:
                self._parts.popitem(last=False)

    def find(self, account: str, text: str) -> str | None:
        with self._lock:
            return self._parts.get(_key(account, text))

    def __len__(self) -> int:
        return len(self._parts)


def _key(account: str, text: str) -> bytes:
    return hashlib.sha256(f"{account}\x1f{text}".encode()).digest()
