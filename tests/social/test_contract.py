"""Both channels pass the contract every channel plugin's suite inherits."""

from __future__ import annotations

from publisher.testing import ChannelContract
from publisher_mastodon.channel import MastodonChannel
from publisher_x.channel import XChannel


class TestMastodonContract(ChannelContract):
    channel_class = MastodonChannel
    settings = {
        "channel": "mastodon",
        "instance": "https://mastodon.example",
        "access_token": "contract-token",
    }


class TestXContract(ChannelContract):
    channel_class = XChannel
    settings = {"channel": "x", "thread": "faq"}
