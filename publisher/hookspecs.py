"""Hook specifications: the whole plugin API in one page."""

from __future__ import annotations

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("publisher")
hookimpl = HookimplMarker("publisher")
"""Marks a plugin's hook implementations; it may declare only the arguments it uses.

>>> @hookimpl
... def publisher_published(receipt):
...     print(f"published at {receipt.url}")
>>> @hookimpl(trylast=True)
... def publisher_template_dirs():
...     return ["/usr/share/my-plugin/templates"]
"""


@hookspec
def publisher_register_channels(register):
    """Call `register(ChannelClass)` for each channel this plugin provides."""


@hookspec(firstresult=True)
def publisher_load_story(path):
    """Read the story file at `path` into a `StoryDraft`, or return None if not yours."""


@hookspec
def publisher_prepare_edition(edition, destination):
    """Change `edition` in place before it is rendered for `destination`."""


@hookspec
def publisher_published(edition, destination, receipt):
    """React to a finished delivery of `edition` to `destination`."""


@hookspec
def publisher_template_dirs():
    """Return folders of templates; the user's own folder still wins file by file."""


@hookspec
def publisher_register_commands(cli):
    """Add commands to the `publisher` command line (a click group)."""


@hookspec
def publisher_register_routes(register):
    """Call `register(path, endpoint, ...)` for each page this plugin adds to `publisher serve`."""


@hookspec
def publisher_migrations():
    """Return (name, folder): the Alembic script folder of this plugin's tables, or None."""


@hookspec
def publisher_status(destinations):
    """Return lines of your own for `publisher status` about these destinations."""


@hookspec
def publisher_fetch_bounces(destinations):
    """Read the bounces and complaints of these destinations; return a line per source read."""


@hookspec
def publisher_serve_check(destinations):
    """Return a line for each reason the pages you add cannot work with these destinations;
    `publisher serve` refuses to start (exit code 2) when any plugin returns one."""
