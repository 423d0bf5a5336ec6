"""Publisher: assemble news stories and hand them to channel plugins.

The public API for plugin authors is what this module exports. Each name is
imported on first use, so that a plugin module that imports `hookimpl` (and
`publisher --help`, which loads every plugin) loads no more than that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from publisher.hookspecs import hookimpl

if TYPE_CHECKING:
    from publisher.channel import (
        AuthenticationFailed,
        Channel,
        Cost,
        DeliveryContext,
        DeliveryError,
        Destination,
        Part,
        PartlyDelivered,
        RateLimited,
        Receipt,
        Rendition,
        Sent,
        TemporaryFailure,
    )
    from publisher.config import ChannelSettings, check_pattern
    from publisher.edition import Edition, digest, single
    from publisher.errors import ConfigError, InputError, PublisherError, StoryError
    from publisher.invocation import pass_workspace
    from publisher.loading import StoryDraft
    from publisher.secrets import Secret
    from publisher.story import Story, Url, clean_line
    from publisher.version import __version__

# Where each name lives, read on first use.
_HOMES = {
    "AuthenticationFailed": "publisher.channel",
    "Channel": "publisher.channel",
    "ChannelSettings": "publisher.config",
    "ConfigError": "publisher.errors",
    "Cost": "publisher.channel",
    "DeliveryContext": "publisher.channel",
    "DeliveryError": "publisher.channel",
    "Destination": "publisher.channel",
    "Edition": "publisher.edition",
    "InputError": "publisher.errors",
    "Part": "publisher.channel",
    "PartlyDelivered": "publisher.channel",
    "PublisherError": "publisher.errors",
    "RateLimited": "publisher.channel",
    "Receipt": "publisher.channel",
    "Rendition": "publisher.channel",
    "Secret": "publisher.secrets",
    "Sent": "publisher.channel",
    "Story": "publisher.story",
    "StoryDraft": "publisher.loading",
    "StoryError": "publisher.errors",
    "TemporaryFailure": "publisher.channel",
    "Url": "publisher.story",
    "__version__": "publisher.version",
    "check_pattern": "publisher.config",
    "clean_line": "publisher.story",
    "digest": "publisher.edition",
    "pass_workspace": "publisher.invocation",
    "single": "publisher.edition",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'publisher' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
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
    "InputError",
    "Part",
    "PartlyDelivered",
    "PublisherError",
    "RateLimited",
    "Receipt",
    "Rendition",
    "Secret",
    "Sent",
    "Story",
    "StoryDraft",
    "StoryError",
    "TemporaryFailure",
    "Url",
    "__version__",
    "check_pattern",
    "clean_line",
    "digest",
    "hookimpl",
    "pass_workspace",
    "single",
]
