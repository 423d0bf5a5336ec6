"""Progress of a long delivery: a bar per destination on a console, or JSON log events.

Imported by the commands that deliver, with rich's progress display, and by no other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from publisher.logs import event, json_logs

if TYPE_CHECKING:
    from rich.console import Console

PROGRESS_EVERY = 2.0  # seconds between progress events in JSON logs


def progress_events(name: str) -> Callable[[int, int], None]:
    """Progress as JSON log events: the first report, then one every PROGRESS_EVERY seconds,
    and the last."""
    last = -PROGRESS_EVERY

    def update(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < PROGRESS_EVERY:
            return
        last = now
        message = f"{name}: {done}/{total}"
        event(logging.INFO, message, event="progress", destination=name, done=done, total=total)

    return update


@contextmanager
def progress_bars(console: Console) -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """A progress bar per destination that reports progress (long email sends); the display
    starts with the first report, so a run without one prints nothing extra. With JSON
    logs, events instead of bars."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    if json_logs():
        yield progress_events
        return

    class _RateColumn(ProgressColumn):
        """Items a second (messages, posts), as rich measures them."""

        def render(self, task: Task) -> Text:
            return Text(f"{task.speed:.0f}/s" if task.speed else "", style="progress.data.speed")

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
    )
    bars = Progress(*columns, console=console, transient=False)

    def for_destination(name: str) -> Callable[[int, int], None]:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                bars.start()
                # Starting at `done` (a resumed send) keeps it out of the rate.
                task = bars.add_task(name, total=total, completed=done)
            bars.update(task, completed=done, total=total)

        return update

    try:
        yield for_destination
    finally:
        if bars.live.is_started:
            bars.stop()
