"""Two real processes that try to take over the same publications at the same instant.

Each round, both wait at a barrier and then call `Ledger.begin` on the round's
unfinished publication; what each got is put on a queue for the test to count.
Workers are started with the `spawn` method, so each opens its own engine.
"""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from publisher.ledger import AlreadyDone, Busy, Ledger
from publisher.state import State


def take_over(url: str, editions: list[str], barrier: Barrier, results: Queue) -> None:
    """Race for each edition in turn: report "took", "busy" or what else happened."""
    ledger = Ledger(State(url).engine)
    for edition in editions:
        barrier.wait(timeout=60)
        try:
            started = ledger.begin(
                edition, "newsletter", channel="email", kind="story", story_ids=["a"], parts=1
            )
        except Busy as error:
            outcome = "busy" if "is being delivered by another run" in str(error) else str(error)
        except Exception as error:  # reported, so that the test names it
            outcome = f"{type(error).__name__}: {error}"
        else:
            outcome = "done already" if isinstance(started, AlreadyDone) else "took"
        results.put((edition, outcome))
    ledger.engine.dispose()
