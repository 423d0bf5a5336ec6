"""Bluesky channel for Publisher: posts and threads through the atproto SDK."""

from publisher import hookimpl
from publisher_bluesky.channel import BlueskyChannel


@hookimpl
def publisher_register_channels(register):
    register(BlueskyChannel)
