"""The Bluesky channel passes the contract every channel plugin's suite inherits, delivering
to the local PDS."""

from __future__ import annotations

import pytest
import regex

from bluesky.server import XRPC, BlueskyServer
from publisher import Part
from publisher.testing import Arrival, ChannelContract
from publisher_bluesky.channel import BlueskyChannel


class TestBlueskyContract(ChannelContract):
    channel_class = BlueskyChannel
    settings = {"channel": "bluesky", "handle": "brief.bsky.social", "thread": "faq"}

    @pytest.fixture
    def endpoint(
        self, bluesky_server: BlueskyServer, monkeypatch: pytest.MonkeyPatch
    ) -> BlueskyServer:
        monkeypatch.setenv("BLUESKY_APP_PASSWORD", bluesky_server.password)
        return bluesky_server

    def deliver_to(self, endpoint: BlueskyServer) -> dict:
        return {
            "channel": "bluesky",
            "handle": endpoint.handle,
            "service": endpoint.url,
            "thread": "faq",
        }

    def delivered(self, endpoint: BlueskyServer) -> list[Arrival]:
        """Each post's text with the links its facets and card carry (the text may show a
        long link shortened)."""
        arrivals = []
        for record in endpoint.records:
            value = record["value"]
            links = [
                feature["uri"]
                for facet in value.get("facets") or []
                for feature in facet["features"]
                if "uri" in feature
            ]
            card = ((value.get("embed") or {}).get("external") or {}).get("uri")
            parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
            text = "\n".join([value["text"], *links, *([card] if card else [])])
            arrivals.append(Arrival(text, record["uri"], parent))
        return arrivals

    def refuse(self, endpoint: BlueskyServer) -> None:
        body = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        for method in ("com.atproto.repo.createRecord", "com.atproto.server.createSession"):
            endpoint.fail("POST", XRPC + method, status=401, body=body, times=1000)

    def more_secrets(self, endpoint: BlueskyServer) -> list[str]:
        return endpoint.tokens  # the session's access and refresh tokens

    def measure(self, part: Part) -> int:
        return len(regex.findall(r"\X", part.text))
