"""The writer of a send: what the workers report about each copy, recorded a batch at a time.

SQLite has a single writer. When every worker committed each copy's outcome
itself, the workers queued for the database's lock (and for the interpreter)
more than they talked SMTP. Here workers hand outcomes to one thread, which
records what has gathered every few milliseconds in one transaction, each
recipient still in its own row.

The bound on what a crash can send twice: a copy takes a slot before it is
handed to a worker and gives it back only when its outcome is committed (or
when nothing went out). Copies that may have reached the server without being
recorded as sent are therefore never more than `in_flight(connections)`: one
on the wire per connection plus SETTLE_AHEAD waiting for the writer. Only
those can go out again after a kill -9, with the same Message-ID.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from publisher_email.recipients import Outcome, Recipients

SETTLE_AHEAD = 64  # copies that may wait for the writer, beyond one on the wire per connection
PAUSE = 0.005  # seconds the writer lets reports gather before it commits them


def in_flight(connections: int) -> int:
    """How many copies can be unrecorded at once: the most a crash can send twice."""
    return connections + SETTLE_AHEAD


class Settler:
    """Slots for copies in flight, and the thread that records their outcomes."""

    def __init__(
        self, recipients: Recipients, connections: int, settled: Callable[[int], None]
    ) -> None:
        self._recipients = recipients
        self._settled = settled  # told how many copies were settled for good (progress)
        self._slots = threading.Semaphore(in_flight(connections))
        self._reports: queue.SimpleQueue[tuple[str, Outcome, str | None] | None] = (
            queue.SimpleQueue()
        )
        self.error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="email-settle", daemon=True)
        self._writer.start()

    def take_slot(self) -> None:
        """Wait until one more copy may be in flight."""
        self._slots.acquire()

    def give_back(self) -> None:
        """The slot of a copy that did not go out."""
        self._slots.release()

    def report(self, address: str, outcome: Outcome, error: str | None = None) -> None:
        """What the server said about one copy; its slot is freed once that is recorded."""
        self._reports.put((address, outcome, error))

    def close(self) -> None:
        """Record every outcome reported so far, then stop the writer."""
        self._reports.put(None)
        self._writer.join()

    def _write(self) -> None:
        closing = False
        while not closing:
            batch = [self._reports.get()]
            time.sleep(PAUSE)
            while True:
                try:
                    batch.append(self._reports.get_nowait())
                except queue.Empty:
                    break
            reports = [report for report in batch if report is not None]
            closing = len(reports) < len(batch)  # None asks the writer to finish
            if reports:
                self._record(reports)

    def _record(self, batch: list[tuple[str, Outcome, str | None]]) -> None:
        try:
            if self.error is None:
                self._recipients.settle_many(batch)
                final = sum(1 for _, outcome, _ in batch if outcome != "deferred")
                self._settled(final)
        except BaseException as error:  # the send stops; these copies stay 'sending'
            self.error = error
        finally:
            for _ in batch:
                self._slots.release()
