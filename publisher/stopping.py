"""The first SIGINT or SIGTERM of a run becomes a stop at the next safe point.

A module of its own so that the command line imports `signal` and `threading`
only for the commands that deliver.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Stop(threading.Event):
    """Set by the first SIGINT or SIGTERM; remembers which."""

    signal: int | None = None

    @property
    def signal_name(self) -> str:
        """`SIGTERM`, say; empty while no signal stopped the run."""
        return signal.Signals(self.signal).name if self.signal is not None else ""


@contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """Turn the first SIGINT or SIGTERM into a stop at the next safe point (what is on the
    wire is finished and recorded); a second one acts as it normally would."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach the main thread only
        return
    numbers = (signal.SIGINT, signal.SIGTERM)

    def handle(number: int, _frame: object) -> None:
        stop.signal = number
        stop.set()
        for each in numbers:
            signal.signal(each, previous[each])

    previous = {number: signal.signal(number, handle) for number in numbers}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
