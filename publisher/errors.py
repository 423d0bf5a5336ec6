"""Errors that carry a message for a person: what was wrong, where, what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class PublisherError(Exception):
    """Base class: the command line prints the message and exits with `exit_code`.

    A plugin's command raises one to end with `error: MESSAGE` and no traceback.

    >>> PublisherError("the archive could not be written").exit_code
    1
    """

    exit_code = 1


class InputError(PublisherError):
    """Bad input or configuration: nothing was published (exit code 2).

    >>> raise InputError("--to names no destination")
    Traceback (most recent call last):
    publisher.errors.InputError: --to names no destination
    >>> InputError("...").exit_code
    2
    """

    exit_code = 2


class StoryError(InputError):
    """A story file that cannot be read or does not validate, named with its line.

    A loader (`publisher_load_story`) raises it for a file of its format that it
    cannot read.

    >>> str(StoryError("stories/trams.ini", "no headline", line=3))
    'stories/trams.ini:3: no headline'
    """

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        from pathlib import Path  # here: `publisher --help` never builds one, nor needs pathlib

        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {reason}")


class ConfigError(InputError):
    """A configuration that cannot be read or does not validate, or a destination that
    cannot be delivered to (`Channel.preflight`): the run stops before anything is sent.

    >>> raise ConfigError("hook.token: environment variable HOOK_TOKEN is not set")
    Traceback (most recent call last):
    publisher.errors.ConfigError: hook.token: environment variable HOOK_TOKEN is not set
    """
