"""Both channels pass the contract every channel plugin's suite inherits, delivering to the
local Mastodon and X servers."""

from __future__ import annotations

import pytest
import regex
from twitter_text import parse_tweet

from publisher import Part
from publisher.testing import Arrival, ChannelContract
from publisher_mastodon.channel import MastodonChannel
from publisher_x.channel import XChannel
from social.servers import MastodonServer, XServer

_URL = regex.compile(r"https?://\S+")


class TestMastodonContract(ChannelContract):
    channel_class = MastodonChannel
    settings = {
        "channel": "mastodon",
        "instance": "https://mastodon.example",
        "access_token": "contract-token",
    }

    @pytest.fixture
    def endpoint(self, mastodon_server: MastodonServer) -> MastodonServer:
        return mastodon_server

    def deliver_to(self, endpoint: MastodonServer) -> dict:
        return {
            "channel": "mastodon",
            "instance": endpoint.url,
            "access_token": endpoint.token,
            "thread": "faq",
        }

    def delivered(self, endpoint: MastodonServer) -> list[Arrival]:
        return [Arrival(s["text"], s["id"], s["in_reply_to_id"]) for s in endpoint.statuses]

    def refuse(self, endpoint: MastodonServer) -> None:
        body = {"error": "The access token is invalid"}
        endpoint.fail("POST", "/api/v1/statuses", status=401, body=body, times=1000)

    def measure(self, part: Part) -> int:
        """Mastodon's count: every URL 23 characters, the rest in graphemes."""
        text = part.extra.get("spoiler_text", "") + _URL.sub("x" * 23, part.text)
        return len(regex.findall(r"\X", text))


class TestXContract(ChannelContract):
    channel_class = XChannel
    settings = {"channel": "x", "thread": "faq"}

    @pytest.fixture
    def endpoint(self, x_server: XServer, monkeypatch: pytest.MonkeyPatch) -> XServer:
        monkeypatch.setenv("X_API_KEY", x_server.consumer_key)
        monkeypatch.setenv("X_API_SECRET", "x-contract-api-secret")
        monkeypatch.setenv("X_ACCESS_TOKEN", x_server.access_token)
        monkeypatch.setenv("X_ACCESS_TOKEN_SECRET", "x-contract-token-secret")
        return x_server

    def deliver_to(self, endpoint: XServer) -> dict:
        return {"channel": "x", "thread": "faq", "api_url": endpoint.url}

    def delivered(self, endpoint: XServer) -> list[Arrival]:
        return [Arrival(t["sent"], t["id"], t["reply_to"]) for t in endpoint.tweets]

    def refuse(self, endpoint: XServer) -> None:
        body = {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
        endpoint.fail("POST", "/2/tweets", status=401, body=body, times=1000)

    def measure(self, part: Part) -> int:
        """X's weighted count, by twitter-text as X's own clients count."""
        return parse_tweet(part.text).weightedLength
