"""The send: every pending recipient of a delivery, through a transport, in parallel.

Pending addresses are read from the database a page at a time as the send
goes (never the whole list at once), marked as sending one page per
transaction, and handed to one worker per connection. Workers report each
copy's outcome to the send's writer (`settling.Settler`), which records them
a batch per transaction; if the process dies, at most `in_flight(connections)`
unrecorded copies can have reached the server.

The send ends truthfully: deferred copies are retried (TemporaryFailure),
and permanent refusals fail the part, with how many and why; it counts as
sent (PartlyDelivered) only when someone received it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from publisher import DeliveryError, PartlyDelivered, Sent, TemporaryFailure
from publisher_email.ratelimit import RateLimit
from publisher_email.recipients import Recipient, Recipients
from publisher_email.settling import Settler
from publisher_email.transport import Envelope, Refused, Transport


class Progress:
    """Settled copies out of all, reported from whichever worker settles one."""

    def __init__(self, done: int, total: int, report: Callable[[int, int], None]) -> None:
        self.done = done
        self.total = total
        self._report = report
        self._lock = threading.Lock()
        report(done, total)

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            self._report(self.done, self.total)


def send_all(
    recipients: Recipients,
    transport: Transport,
    envelope_for: Callable[[Recipient], Envelope],
    progress: Progress,
    stopping: Callable[[], bool],
    rate: RateLimit | None = None,
    refused: Callable[[str, Refused], None] | None = None,
) -> None:
    """Send to every pending recipient; raise when the send stopped, or was not received by
    everyone.

    A refusal for one recipient (4xx, 5xx) is recorded, handed to `refused` (which
    counts bounces), and the send goes on; any other error stops it, and so does
    `stopping()` turning true (a signal): copies on the wire are finished and
    settled, the rest wait for the next run.
    """
    stop = threading.Event()
    errors: list[BaseException] = []
    settler = Settler(recipients, transport.connections, progress.advance)

    def send_one(address: Recipient) -> None:
        """Send one copy; its slot goes to the writer with the outcome, or back at once."""
        try:
            if stop.is_set() or settler.error is not None or stopping():
                stop.set()
                settler.give_back()
                return
            if rate is not None:
                rate.wait()
            transport.send(envelope_for(address))
        except Refused as refusal:
            settler.report(address, "failed" if refusal.permanent else "deferred", str(refusal))
            if refused is not None:
                refused(address, refusal)
        except BaseException:  # the send stops; this copy stays pending
            settler.give_back()
            raise
        else:
            settler.report(address, "sent")

    work: queue.SimpleQueue[Recipient | None] = queue.SimpleQueue()

    def worker() -> None:
        """Send what is queued until told to end; an error stops the send, and the rest of
        the queue is handed back (a worker never dies with copies waiting for it)."""
        while (address := work.get()) is not None:
            try:
                send_one(address)
            except BaseException as error:
                errors.append(error)
                stop.set()

    workers = [
        threading.Thread(target=worker, name=f"email-{n}", daemon=True)
        for n in range(transport.connections)
    ]
    for thread in workers:
        thread.start()
    try:
        for page in recipients.pending():
            if stop.is_set():
                break
            for address in recipients.claim(page):
                settler.take_slot()
                if stop.is_set():
                    settler.give_back()
                    break
                work.put(address)
    except BaseException:
        stop.set()
        raise
    finally:
        for _ in workers:
            work.put(None)
        for thread in workers:
            thread.join()
        settler.close()
    if settler.error is not None:
        errors.append(settler.error)
    if errors:
        raise errors[0]
    if stop.is_set():
        raise DeliveryError(
            f"stopped at {progress.done} of {progress.total} recipients; "
            "the next run sends to the rest"
        )
    _report(recipients, progress.total)


def _report(recipients: Recipients, total: int) -> None:
    """Raise unless every recipient has the copy: deferred ones are retried, refusals fail."""
    refused, examples = recipients.refused()
    refusals = (
        f"{refused} of {total} recipient{'s' * (total != 1)} refused: {_listed(refused, examples)}"
        if refused
        else ""
    )
    deferred, examples = recipients.with_status("deferred")
    if deferred:
        also = f"; {refusals}" if refusals else ""
        raise TemporaryFailure(
            f"{deferred} recipient(s) deferred by the server ({_listed(deferred, examples)}){also}"
        )
    if not refused:
        return
    received, _ = recipients.with_status("sent", limit=0)
    if received == 0:
        raise DeliveryError(f"{refusals}; nobody received it")
    raise PartlyDelivered(refusals, Sent(recipients.delivery_id))


def _listed(count: int, examples: list[tuple[str, str]]) -> str:
    listed = "; ".join(f"{address}: {error}" for address, error in examples)
    return listed + (f"; and {count - len(examples)} more" if count > len(examples) else "")
