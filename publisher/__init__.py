"""Publisher: assemble news stories and hand them to channel plugins.

The public API for plugin authors is what this module exports.
"""

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
    Rendition,
    Sent,
    TemporaryFailure,
)
from publisher.config import ChannelSettings
from publisher.edition import Edition
from publisher.errors import ConfigError
from publisher.hookspecs import hookimpl
from publisher.invocation import pass_workspace
from publisher.loading import StoryDraft
from publisher.secrets import Secret
from publisher.story import Story, Url, clean_line
from publisher.version import __version__

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
