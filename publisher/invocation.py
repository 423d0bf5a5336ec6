"""What a command runs against: for the core's commands and for those plugins add.

The command line creates one `CommandContext` per invocation; a command that
needs the configuration, stories or state asks for it with `pass_workspace`,
so that plugins never import the command line itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pathlib import Path

    from publisher.plugins import Plugins
    from publisher.workspace import Workspace


class CommandContext:
    """Per-invocation state: the loaded plugins, and the workspace once a command needs it."""

    def __init__(self, plugins: Plugins, config: Path | None) -> None:
        self.plugins = plugins
        self.config_path = config
        self._workspace: Workspace | None = None

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from publisher.workspace import Workspace  # opened only by commands that need it

            self._workspace = Workspace.open(self.config_path, plugins=self.plugins)
        return self._workspace

    def close(self) -> None:
        """Close the workspace, if a command opened it: at the end of the invocation."""
        if self._workspace is not None:
            self._workspace.close()


def pass_workspace(function: Callable) -> Callable:
    """Call `function(workspace, ...)` with this invocation's workspace: the configuration,
    its destinations, stories and state database, opened once per invocation.

    Example, a command a plugin adds (`publisher_register_commands`)::

        @click.command()
        @pass_workspace
        def hello(workspace, name: str) -> None:
            click.echo(f"Hello {name}, from {workspace.config.site.name}.")
    """

    @functools.wraps(function)
    def with_workspace(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context().find_object(CommandContext)
        if context is None:
            raise RuntimeError(f"{function.__name__} runs only as a `publisher` command")
        return function(context.workspace, *args, **kwargs)

    return with_workspace
