"""X channel for Publisher: posts and threads through tweepy (API v2)."""

from publisher import hookimpl


@hookimpl
def publisher_register_channels(register):
    # Imported when channels are collected, not when the plugin loads (`publisher --help`).
    from publisher_x.channel import XChannel

    register(XChannel)
