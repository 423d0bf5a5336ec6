"""Mastodon channel for Publisher: posts and threads through Mastodon.py."""

from publisher import hookimpl
from publisher_mastodon.channel import MastodonChannel


@hookimpl
def publisher_register_channels(register):
    register(MastodonChannel)
