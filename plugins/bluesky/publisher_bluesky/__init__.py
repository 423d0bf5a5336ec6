"""Bluesky channel for Publisher: posts and threads through the atproto SDK."""

from publisher import hookimpl


@hookimpl
def publisher_register_channels(register):
    # Imported when channels are collected, not when the plugin loads (`publisher --help`).
    from publisher_bluesky.channel import BlueskyChannel

    register(BlueskyChannel)


@hookimpl
def publisher_migrations():
    # Each part's record key is kept in the state database; its table moves by migration.
    from pathlib import Path  # here: `publisher --help` loads this module, and needs no paths

    return ("bluesky", Path(__file__).with_name("migrations"))
