"""Logging set-up: plain text or JSON lines on stderr, secrets masked in every line.

The handler sits on the root logger, so that libraries' records (APScheduler's,
say) come out in the same format and with the same masking as our own.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from publisher.secrets import scrub


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, tracebacks included, secrets masked."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


_installed: list[logging.Handler] = []  # ours, replaced on each set-up; others' are left alone


def setup_logging(log_format: str = "text", verbose: bool = False) -> None:
    """Warnings and errors from everything; our own progress too with -v or JSON logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in _installed:
        root.removeHandler(old)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    ours = logging.getLogger("publisher")
    ours.handlers.clear()
    ours.propagate = True
    ours.setLevel(logging.INFO if verbose or log_format == "json" else logging.WARNING)
