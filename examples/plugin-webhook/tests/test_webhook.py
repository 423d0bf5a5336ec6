"""The example plugin's own tests: the contract every channel passes, and a real POST."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from publisher.testing import ChannelContract, make_destination
from publisher_webhook import WebhookChannel


class TestWebhookContract(ChannelContract):
    channel_class = WebhookChannel
    settings = {"channel": "webhook", "url": "https://hooks.example.org/stories"}


@pytest.fixture
def server():
    """A local HTTP server that keeps every request it receives."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(201)
            self.send_header("Location", f"/stories/{len(received)}")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", received
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_posts_each_story_with_its_idempotency_key(server, sample_story, tmp_path) -> None:
    from publisher import DeliveryContext, single

    url, received = server
    destination = make_destination(WebhookChannel, {"channel": "webhook", "url": url}, tmp_path)
    edition = single(sample_story)
    [part] = WebhookChannel().render(edition, destination).parts
    context = DeliveryContext(edition, destination, 1, None, "key-1", "delivery-1")
    sent = WebhookChannel().deliver(part, context)
    assert sent.id == "/stories/1"
    [(headers, body)] = received
    assert headers["Idempotency-Key"] == "key-1"
    assert body == {
        "id": "sample-story",
        "headline": sample_story.headline,
        "url": sample_story.url,
    }
