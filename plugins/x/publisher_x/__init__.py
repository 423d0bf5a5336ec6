"""X channel for Publisher: posts and threads through tweepy (API v2)."""

from publisher import hookimpl
from publisher_x.channel import XChannel


@hookimpl
def publisher_register_channels(register):
    register(XChannel)
