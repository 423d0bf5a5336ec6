"""Errors that carry a message for a person: what was wrong, where, what to do."""

from __future__ import annotations

from pathlib import Path


class PublisherError(Exception):
    """Base class: the command line prints the message and exits with `exit_code`."""

    exit_code = 1


class InputError(PublisherError):
    """Bad input or configuration: nothing was published."""

    exit_code = 2


class StoryError(InputError):
    """A story file that cannot be read or does not validate."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {reason}")


class ConfigError(InputError):
    """A configuration file that cannot be read or does not validate."""
