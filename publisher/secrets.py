"""Secrets from environment variables, and masking them wherever text leaves the process.

A configuration value such as `"${MASTODON_ACCESS_TOKEN}"` in a field typed
`Secret` keeps its source: its repr names the variable, never the value, an
unset variable is reported only when the value is needed, and every value is
remembered so that log lines and error messages can be scrubbed of it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from publisher.errors import ConfigError

if TYPE_CHECKING:
    from pydantic_core import core_schema

MASK = "********"
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_known: set[str] = set()


class EnvText(str):
    """Text expanded from `${VAR}` references; `source` is what the configuration said."""

    source: str
    unset: tuple[str, ...]


def expand(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` and `${VAR:-default}`; unset variables without a default are noted."""
    environ = os.environ if environ is None else environ
    if "${" not in value:
        return value
    expanded = EnvText(_REFERENCE.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value))
    expanded.source = value
    expanded.unset = tuple(
        m.group(1)
        for m in _REFERENCE.finditer(value)
        if m.group(1) not in environ and m.group(2) is None
    )
    return expanded


class Secret:
    """A credential: shown as its `${VAR}` source or a mask, revealed only where it is used.

    Type a setting as `Secret` and write `token = "${HOOK_TOKEN}"` in the
    configuration: the value comes from the environment, an unset variable is
    reported only when the value is needed, and every revealed value is masked
    in logs and errors.

    >>> token = Secret("example-value-of-a-token", source="${HOOK_TOKEN}")
    >>> token
    Secret('${HOOK_TOKEN}')
    >>> token.reveal()
    'example-value-of-a-token'
    >>> Secret("", source="${UNSET_TOKEN}", unset=("UNSET_TOKEN",)).reveal()
    Traceback (most recent call last):
    publisher.errors.ConfigError: environment variable UNSET_TOKEN is not set
    """

    def __init__(self, value: str, source: str = "", unset: tuple[str, ...] = ()) -> None:
        self._value = value
        self.source = source
        self.unset = unset
        remember(value)

    @classmethod
    def from_env(cls, name: str) -> Secret:
        """A secret read straight from one environment variable (for settings defaults)."""
        value = os.environ.get(name)
        return cls(value or "", f"${{{name}}}", () if value is not None else (name,))

    @property
    def is_set(self) -> bool:
        return not self.unset and self._value != ""

    def reveal(self) -> str:
        """The value, for the one call that needs it; an unset variable is a ConfigError."""
        if self.unset:
            raise ConfigError(f"environment variable {', '.join(self.unset)} is not set")
        return self._value

    def __repr__(self) -> str:
        return f"Secret({(self.source or MASK)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def build(value: Any) -> Secret:
            if isinstance(value, Secret):
                return value
            if not isinstance(value, str):
                raise ValueError("must be text")
            if isinstance(value, EnvText):
                return cls(str(value), value.source, value.unset)
            return cls(value)

        from pydantic_core import core_schema  # with the settings models, not with every log line

        return core_schema.no_info_plain_validator_function(
            build, serialization=core_schema.plain_serializer_function_ser_schema(repr)
        )


def remember(value: str) -> None:
    """Mask `value` in everything `scrub` sees from now on (very short values would mask noise)."""
    if len(value) >= 4:
        _known.add(value)


def scrub(text: str) -> str:
    """Replace every known secret in `text` with a mask."""
    for value in sorted(_known, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
