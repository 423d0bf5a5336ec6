"""Logging set-up: plain text or JSON lines on stderr, secrets always masked."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from publisher.secrets import ScrubbingFilter


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(log_format: str = "text", verbose: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("publisher")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose or log_format == "json" else logging.WARNING)
    root.propagate = False
