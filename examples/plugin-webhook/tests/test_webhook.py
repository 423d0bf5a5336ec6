"""The plugin's own tests: the contract every channel passes, and what the webhook receives."""

from __future__ import annotations

import pytest

from publisher import (
    AuthenticationFailed,
    DeliveryContext,
    DeliveryError,
    RateLimited,
    TemporaryFailure,
    single,
)
from publisher.testing import ChannelContract, Recorder, make_destination
from publisher_webhook import WebhookChannel

TOKEN = "webhook-test-token-3f1a"


class TestWebhookContract(ChannelContract):
    channel_class = WebhookChannel
    settings = {"channel": "webhook", "url": "https://hooks.example.org/stories"}

    def deliver_to(self, endpoint: Recorder) -> dict:
        """Point the channel at the contract's recorder, with a token to keep secret."""
        return {"channel": "webhook", "url": f"{endpoint.url}/stories", "token": TOKEN}


def deliver(recorder, story, tmp_path, **settings):
    """Render one story and deliver its part to the recorder, as a run's first attempt."""
    values = {"channel": "webhook", "url": f"{recorder.url}/stories", **settings}
    destination = make_destination(WebhookChannel, values, tmp_path)
    edition = single(story)
    [part] = WebhookChannel().render(edition, destination).parts
    context = DeliveryContext(edition, destination, 1, None, "key-1", "delivery-1")
    return WebhookChannel().deliver(part, context)


def test_posts_the_story_with_its_key_and_token(recorder, sample_story, tmp_path):
    sent = deliver(recorder, sample_story, tmp_path, token=TOKEN)
    [request] = recorder.requests
    assert sent.id == f"{recorder.url}/received/1"
    assert request.headers["idempotency-key"] == "key-1"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {
        "id": sample_story.id,
        "headline": sample_story.headline,
        "dek": sample_story.dek,
        "url": sample_story.url,
    }


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationFailed), (422, DeliveryError), (503, TemporaryFailure)],
)
def test_an_error_status_says_what_the_run_should_do(
    recorder, sample_story, tmp_path, status, error
):
    recorder.answer(status)
    with pytest.raises(error, match=str(status)):
        deliver(recorder, sample_story, tmp_path)


def test_a_rate_limit_is_waited_out_for_as_long_as_the_server_says(
    recorder, sample_story, tmp_path
):
    recorder.answer(429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as limited:
        deliver(recorder, sample_story, tmp_path)
    assert limited.value.retry_after == 30


@pytest.mark.parametrize("fault", ["drop", "stall"])
def test_a_dropped_or_stalled_request_is_retried(recorder, sample_story, tmp_path, fault):
    getattr(recorder, fault)()
    with pytest.raises(TemporaryFailure, match="webhook unreachable"):
        deliver(recorder, sample_story, tmp_path, timeout=0.5)
