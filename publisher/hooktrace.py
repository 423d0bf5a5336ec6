"""`PUBLISHER_TRACE_PLUGINS=1`: every hook call on stderr, as datasette's DATASETTE_TRACE_PLUGINS.

One line per call, once it returns: the hook, the plugins it reached, the
arguments (shortened) and what came back, or the error. The lines go through
logging, so that with `--log-format json` each is a JSON object (`hook`,
`plugins`, `arguments`, `result` or `error`), and secrets are masked.
"""

from __future__ import annotations

import os
import reprlib
from collections.abc import Mapping, Sequence

import pluggy

VARIABLE = "PUBLISHER_TRACE_PLUGINS"

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 80
_short.maxlist = _short.maxtuple = _short.maxdict = 4


def wanted() -> bool:
    """Whether the environment asks for a trace (any value but empty or 0)."""
    return os.environ.get(VARIABLE, "") not in ("", "0")


def shorten(value: object) -> str:
    from publisher.secrets import scrub  # here: without a trace, no command needs it

    return scrub(_short.repr(value))


def trace(manager: pluggy.PluginManager) -> None:
    """Log every hook call `manager` makes from now on, whatever the log level."""
    import logging  # here: without a trace, a command that logs nothing never loads it

    from publisher.secrets import scrub

    log = logging.getLogger("publisher.trace")
    log.setLevel(logging.INFO)

    def before(*_: object) -> None:
        """Nothing yet: one line per call, written once it is known how the call ended."""

    def after(
        outcome: pluggy.Result[object],
        hook: str,
        implementations: Sequence[pluggy.HookImpl],
        arguments: Mapping[str, object],
    ) -> None:
        plugins = [implementation.plugin_name for implementation in reversed(implementations)]
        shown = {name: shorten(value) for name, value in arguments.items()}
        fields: dict[str, object] = {
            "event": "hook_call",
            "hook": hook,
            "plugins": plugins,
            "arguments": shown,
        }
        if outcome.exception is None:
            fields["result"] = ending = shorten(outcome.get_result())
        else:
            error = outcome.exception
            said = scrub(str(error))
            said = said if len(said) <= _short.maxstring else said[: _short.maxstring - 1] + "…"
            fields["error"] = f"{type(error).__name__}: {said}"
            ending = f"error {fields['error']}"
        called = ", ".join(f"{name}={value}" for name, value in shown.items())
        log.info(
            "%s(%s) by %s -> %s",
            hook,
            called,
            ", ".join(plugins) or "no plugin",
            ending,
            extra={"fields": fields},
        )

    manager.add_hookcall_monitoring(before, after)
