"""Bluesky channel for Publisher: posts and threads through the atproto SDK."""

from publisher import hookimpl


@hookimpl
def publisher_register_channels(register):
    # Imported when channels are collected, not when the plugin loads (`publisher --help`).
    from publisher_bluesky.channel import BlueskyChannel

    register(BlueskyChannel)
