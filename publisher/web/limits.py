"""Limits on what one client can ask of the server: requests per address, body size.

The rate limiter keeps, per bucket and key, the times of recent requests in
memory (one server process), and forgets the least recently seen keys beyond
a bound, so that a flood of addresses cannot fill the memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024  # bytes; forms are a few hundred (a page may set its own: webhooks)


class RateLimiter:
    """At most `limit` requests per `per` seconds for each (bucket, key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, keys: int = 50_000) -> None:
        self._clock = clock
        self._keys = keys
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, bucket: str, key: str, limit: int, per: float) -> bool:
        """Count one request and say whether it is within the limit."""
        now = self._clock()
        with self._lock:
            times = self._seen.pop((bucket, key), None) or deque()
            while times and times[0] <= now - per:
                times.popleft()
            allowed = len(times) < limit
            if allowed:
                times.append(now)
            self._seen[(bucket, key)] = times
            while len(self._seen) > self._keys:
                self._seen.popitem(last=False)
        return allowed


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, declared or streamed; a page that
    set its own limit (`limit_for` finds it from the request) gets that one instead."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY,
        limit_for: Callable[[Scope], int | None] = lambda scope: None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope) or self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            scope["publisher.body_too_large"] = True
        received = 0

        async def limited() -> Message:
            nonlocal received
            if scope.get("publisher.body_too_large"):
                raise HTTPException(413)
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413)
            return message

        await self.app(scope, limited, send)
