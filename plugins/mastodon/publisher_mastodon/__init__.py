"""Mastodon channel for Publisher: posts and threads through Mastodon.py."""

from publisher import hookimpl


@hookimpl
def publisher_register_channels(register):
    # Imported when channels are collected, not when the plugin loads (`publisher --help`).
    from publisher_mastodon.channel import MastodonChannel

    register(MastodonChannel)
