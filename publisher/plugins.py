"""The plugin manager: entry points in the group `publisher`, then the built-ins, the same way.

`PUBLISHER_LOAD_PLUGINS` (comma-separated entry-point names, empty for none)
limits which installed plugins load: the way out when one breaks start-up.
A plugin that fails to import or to register is reported and skipped; the
others load. `PUBLISHER_TRACE_PLUGINS=1` logs every hook call (hooktrace.py).

Every hook is called through pluggy, so that an implementation may declare
only the arguments it uses and hookwrappers run; where the core must know
which plugin failed, it calls them one by one (`by_plugin`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pluggy
from pluggy import HookCaller

from publisher import hookspecs, hooktrace
from publisher.distributions import entry_points
from publisher.version import __version__

if TYPE_CHECKING:
    from publisher.channel import Channel

GROUP = "publisher"
BUILTINS = (
    "publisher.loaders.markdown_story",
    "publisher.loaders.json_story",
    "publisher.loaders.text_export",
    "publisher.web.core",
)


class BrokenPlugin(NamedTuple):
    name: str
    version: str
    error: str


class Plugins:
    """The manager, the channels plugins registered (with who registered them), the failures.

    Channels are collected on first use: a command that needs none (`--help`) never
    imports a channel's module, and a plugin whose registration fails is reported then.
    (A plain class and a NamedTuple, not dataclasses: every command loads this module.)
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.versions: dict[str, str] = {}
        self._broken: list[BrokenPlugin] = []
        self._channels: dict[str, type[Channel[Any]]] | None = None
        self._channel_owners: dict[str, str] = {}

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.manager.hook

    @property
    def channels(self) -> dict[str, type[Channel[Any]]]:
        if self._channels is None:
            self._channels = {}
            _collect_channels(self, self._channels)
        return self._channels

    @property
    def broken(self) -> list[BrokenPlugin]:
        """Plugins that failed to import, to register their channels, or in a start-up hook."""
        _ = self.channels
        return self._broken

    @property
    def channel_owners(self) -> dict[str, str]:
        _ = self.channels
        return self._channel_owners


def load_plugins(extra: Sequence[object] = ()) -> Plugins:
    """Load installed plugins, the built-ins and any `extra` plugin objects, then their channels.

    `extra` is for programs that embed Publisher, and for tests that register
    throw-away plugins.
    """
    plugins = Plugins(pluggy.PluginManager(GROUP))
    plugins.manager.add_hookspecs(hookspecs)
    if hooktrace.wanted():
        hooktrace.trace(plugins.manager)
    wanted = os.environ.get("PUBLISHER_LOAD_PLUGINS")
    allowed = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
    for entry_point in entry_points(group=GROUP):
        if allowed is not None and entry_point.name not in allowed:
            continue
        version = entry_point.version
        try:
            plugins.manager.register(entry_point.load(), name=entry_point.name)
            plugins.versions[entry_point.name] = version
        except Exception as error:  # a broken plugin must not take the others down
            plugins._broken.append(BrokenPlugin(entry_point.name, version, _error_text(error)))
    for name in BUILTINS:
        plugins.manager.register(importlib.import_module(name), name=name)
        plugins.versions[name] = __version__
    for plugin in extra:
        name = getattr(plugin, "__name__", type(plugin).__name__)
        plugins.manager.register(plugin, name=name)
        plugins.versions[name] = "local"
    return plugins


def _collect_channels(plugins: Plugins, channels: dict[str, type[Channel[Any]]]) -> None:
    """Call each plugin's register hook with a `register` that checks what it is given.

    In the order plugins were registered, so that the first to claim a name keeps it.
    """
    from publisher.channel import Channel

    owners = plugins._channel_owners
    for owner, call in reversed(by_plugin(plugins, "publisher_register_channels")):

        def register(channel_class: type[Channel[Any]], owner: str = owner) -> None:
            if not (isinstance(channel_class, type) and issubclass(channel_class, Channel)):
                raise TypeError(f"register() takes a Channel subclass, not {channel_class!r}")
            name = getattr(channel_class, "name", "")
            if not name:
                raise TypeError(f"channel class {channel_class.__name__} has no name")
            if name in channels:
                raise ValueError(f"channel '{name}' is already registered by {owners[name]}")
            channels[name] = channel_class
            owners[name] = owner

        try:
            call(register=register)
        except Exception as error:
            plugins._broken.append(
                BrokenPlugin(owner, plugins.versions.pop(owner), _error_text(error))
            )
            plugins.manager.unregister(name=owner)
            for name in [n for n, o in owners.items() if o == owner]:
                del channels[name], owners[name]


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def by_plugin(plugins: Plugins, hook: str) -> list[tuple[str, HookCaller]]:
    """(plugin name, the hook of that plugin alone) for each plugin implementing `hook`, in
    the order pluggy calls them: for callers that must know which plugin failed.

    Each call still goes through pluggy: an implementation gets only the
    arguments it declares, every hookwrapper wraps it, and tracing sees it.
    """
    implementations = getattr(plugins.hook, hook).get_hookimpls()
    plain = [i.plugin for i in reversed(implementations) if not (i.wrapper or i.hookwrapper)]
    # Hookwrappers wrap each plugin's call; with nothing to wrap, each runs once on its own.
    alone = plain or [i.plugin for i in reversed(implementations)]
    return [
        (
            plugins.manager.get_name(plugin) or repr(plugin),
            plugins.manager.subset_hook_caller(hook, [p for p in alone if p is not plugin]),
        )
        for plugin in alone
    ]


def call_each(plugins: Plugins, hook: str, **arguments: object) -> list[Any]:
    """Call a start-up hook plugin by plugin; one that fails is reported as broken and
    unregistered, and the others still answer."""
    answers: list[Any] = []
    for owner, call in by_plugin(plugins, hook):
        try:
            answers.extend(call(**arguments))
        except Exception as error:  # one plugin's bug must not stop every command
            plugins._broken.append(
                BrokenPlugin(owner, plugins.versions.pop(owner, "unknown"), _error_text(error))
            )
            plugins.manager.unregister(name=owner)
    return answers


def describe_failure(owner: str, hook: str, error: Exception) -> str:
    return f"plugin {owner} failed in {hook}: {_error_text(error)}"
