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
    Receipt,
    Rendition,
    Sent,
    TemporaryFailure,
)
from publisher.config import ChannelSettings, check_pattern
from publisher.edition import Edition, digest, single
from publisher.errors import ConfigError, InputError, PublisherError, StoryError
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
