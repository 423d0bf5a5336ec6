"""Publisher: assemble news stories and hand them to channel plugins.

The public API for plugin authors is what this module exports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from publisher.hookspecs import hookimpl

if TYPE_CHECKING:
    from publisher.channel import (
        AuthenticationFailed,
        Channel,
        ChannelSettings,
        Cost,
        DeliveryContext,
        DeliveryError,
        Destination,
        Part,
        PartlyDelivered,
        RateLimited,
        Rendition,
        Sent,
        TemporaryFailure,
    )
    from publisher.commands import pass_workspace
    from publisher.edition import Edition
    from publisher.errors import ConfigError
    from publisher.loading import StoryDraft
    from publisher.secrets import Secret
    from publisher.story import Story, Url, clean_line

    __version__: str

# Where each name lives: imported on first use, so that a plugin module that imports
# `hookimpl` (and `publisher --help`, which loads every plugin) loads no more than that.
_HOMES = {
    **dict.fromkeys(
        (
            "AuthenticationFailed", "Channel", "ChannelSettings", "Cost", "DeliveryContext",
            "DeliveryError", "Destination", "Part", "PartlyDelivered", "RateLimited",
            "Rendition", "Sent", "TemporaryFailure",
        ),
        "publisher.channel",
    ),
    "pass_workspace": "publisher.commands",
    "Edition": "publisher.edition",
    "ConfigError": "publisher.errors",
    "StoryDraft": "publisher.loading",
    "Secret": "publisher.secrets",
    **dict.fromkeys(("Story", "Url", "clean_line"), "publisher.story"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("publisher")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0.0.0"
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'publisher' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "AuthenticationFailed",
    "Channel",
    "ChannelSettings",
    "ConfigError",
    "Cost",
    "DeliveryContext",
    "DeliveryError",
    "Destination",
    "Edition",
    "Part",
    "PartlyDelivered",
    "RateLimited",
    "Rendition",
    "Secret",
    "Sent",
    "Story",
    "StoryDraft",
    "TemporaryFailure",
    "Url",
    "__version__",
    "clean_line",
    "hookimpl",
    "pass_workspace",
]
