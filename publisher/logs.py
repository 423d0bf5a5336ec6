"""Logging set-up: plain text or JSON lines on stderr, secrets masked in every line.

The handler sits on the root logger, so that libraries' records (APScheduler's,
say) come out in the same format and with the same masking as our own.

With JSON logs, every line on stderr is one JSON object, for the journal or a
log collector: the command line reports its errors, warnings and progress as
events (`event`), and whatever else reaches stderr (a plugin's `click.echo`, a
library's print, a Python warning) is wrapped into an object as well.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

from publisher.lines import one_line
from publisher.secrets import scrub

_log = logging.getLogger("publisher")


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, tracebacks included, secrets masked; the message on one line,
    its control characters escaped (it may quote a remote server or a request)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def json_line(
    level: str, logger: str, message: str, when: datetime | None = None, **fields: Any
) -> str:
    """One log object as a line: time, level, logger, message, then any fields; secrets masked."""
    entry = {
        "time": (when or datetime.now(UTC)).isoformat(),
        "level": level,
        "logger": logger,
        "message": scrub(message),
        **{key: scrub(value) if isinstance(value, str) else value for key, value in fields.items()},
    }
    return json.dumps(entry, ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "fields", {}))
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        when = datetime.fromtimestamp(record.created, UTC)
        return json_line(record.levelname.lower(), record.name, record.getMessage(), when, **fields)


class JsonStderr(io.TextIOBase):
    """stderr with JSON logs: a line that is not a JSON object already is wrapped in one.

    Whole lines only (a write may carry part of one); blank lines are dropped.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""
        self._lock = threading.Lock()

    # typeshed declares `encoding` a plain attribute; at run time it is a read-only property
    # of TextIOBase, so only a property can give it a value.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                self._write_line(line)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        """Write out a last line that had no line break."""
        with self._lock:
            self._write_line(self._pending)
            self._pending = ""
        self.flush()

    def _write_line(self, line: str) -> None:
        if not line.strip():
            return
        if not _is_json_object(line):
            line = json_line("info", "stderr", line.rstrip("\r"))
        self.stream.write(line + "\n")


def _is_json_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


_installed: list[logging.Handler] = []  # ours, replaced on each set-up; others' are left alone
_json = threading.Event()  # set while JSON logs are on


def setup_logging(log_format: str = "text", verbose: bool = False) -> None:
    """Warnings and errors from everything; our own progress too with -v or JSON logs."""
    if log_format == "json":
        _json.set()
        if not isinstance(sys.stderr, JsonStderr):
            sys.stderr = JsonStderr(sys.stderr)
    else:
        _json.clear()
    logging.captureWarnings(log_format == "json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in _installed:
        root.removeHandler(old)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    _log.handlers.clear()
    _log.propagate = True
    _log.setLevel(logging.INFO if verbose or log_format == "json" else logging.WARNING)


def restore_stderr() -> None:
    """Put back the stderr that JSON logs wrapped (at the end of a command)."""
    _json.clear()
    if isinstance(sys.stderr, JsonStderr):
        sys.stderr.finish()
        sys.stderr = sys.stderr.stream


def json_logs() -> bool:
    """Whether stderr carries JSON lines: the command line then reports events, not text."""
    return _json.is_set()


def event(level: int, message: str, **fields: Any) -> None:
    """A log record with fields (`event`, `destination`, ...) that JSON lines carry as keys."""
    _log.log(level, message, extra={"fields": fields})
