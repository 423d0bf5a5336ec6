"""The Bluesky channel passes the contract every channel plugin's suite inherits."""

from __future__ import annotations

from publisher.testing import ChannelContract
from publisher_bluesky.channel import BlueskyChannel


class TestBlueskyContract(ChannelContract):
    channel_class = BlueskyChannel
    settings = {"channel": "bluesky", "handle": "brief.bsky.social", "thread": "faq"}
