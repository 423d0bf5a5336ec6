"""X delivery through tweepy's real request path, routed to a local server."""

from __future__ import annotations

import time

from social.conftest import QUICK, Social
from social.servers import XServer

TWEETS = "/2/tweets"
TIMELINE = "/2/users/1234/tweets"


def test_a_story_goes_out_as_a_chained_thread_in_user_context(social: Social) -> None:
    parts = social.parts("night-market", "x")
    outcome = social.publish("night-market", "x")["x"]
    tweets = social.x.tweets
    assert outcome.status == "sent", outcome.message
    assert [t["sent"] for t in tweets] == [part["text"] for part in parts]
    assert social.x.is_thread()
    posts = social.x.requests("POST", TWEETS)
    assert len(posts) == len(parts)
    assert all(post.headers["authorization"].startswith("OAuth ") for post in posts)
    assert outcome.receipt.url == f"https://x.com/i/web/status/{tweets[0]['id']}"


def test_rate_limit_waits_until_the_reset_time(social: Social, x_server: XServer) -> None:
    reset = str(int(time.time()) + 30)
    x_server.fail("POST", TWEETS, status=429, headers={"x-rate-limit-reset": reset}, skip=1)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(social.waits) == 1 and 25 < social.waits[0] <= 30
    assert len(x_server.tweets) == 3 and x_server.is_thread()


def test_rate_limit_without_a_reset_time_backs_off_instead_of_retrying_at_once(
    social: Social, x_server: XServer
) -> None:
    x_server.fail("POST", TWEETS, status=429, times=2)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(social.waits) == 2 and all(wait > 0 for wait in social.waits)
    assert len(x_server.requests("POST", TWEETS)) == 3 + 2


def test_server_error_after_posting_is_recovered_from_the_timeline(
    social: Social, x_server: XServer
) -> None:
    x_server.fail("POST", TWEETS, status=503, after=True, skip=1)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(x_server.requests("POST", TWEETS)) == 3  # part 2 was found, not posted again
    assert len(x_server.requests("GET", TIMELINE)) == 1
    assert len(x_server.tweets) == 3 and x_server.is_thread()
    assert len(social.waits) == 1


def test_a_dropped_connection_before_posting_is_retried(social: Social, x_server: XServer) -> None:
    x_server.fail("POST", TWEETS, drop=True)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(x_server.requests("GET", TIMELINE)) == 1  # looked first: not there
    assert len(x_server.tweets) == 3 and x_server.is_thread()


def test_a_dropped_connection_after_posting_posts_nothing_twice(
    social: Social, x_server: XServer
) -> None:
    x_server.fail("POST", TWEETS, drop=True, after=True)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(x_server.tweets) == 3 and x_server.is_thread()
    assert len(x_server.requests("POST", TWEETS)) == 3


def test_refused_credentials_stop_this_destination_only(social: Social, x_server: XServer) -> None:
    x_server.access_token = "1234-a-newer-token"
    result = social.project.run("publish", "--story", "night-market", "--to", "x,log")
    assert result.code == 1
    assert "x: failed" in result.out
    assert "the access token is invalid or expired" in result.out
    assert "log: sent" in result.out
    assert "1234-x-test-token" not in result.out + result.err
    assert x_server.tweets == []


def test_duplicate_of_a_part_in_flight_is_found_and_the_thread_goes_on(
    social: Social, x_server: XServer
) -> None:
    # The reply is made but its answer lost; X's timeline lags, so the first look misses it
    # and the next attempt is refused as a duplicate: that post is ours, and is recorded.
    x_server.fail("POST", TWEETS, status=503, after=True, skip=1)
    x_server.fail("GET", TIMELINE, body={"meta": {"result_count": 0}})
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "sent", outcome.message
    assert len(x_server.requests("POST", TWEETS)) == 4  # part 2 twice: made, then refused
    assert len(x_server.requests("GET", TIMELINE)) == 2
    assert len(x_server.tweets) == 3 and x_server.is_thread()
    assert outcome.receipt.parts[1].id == x_server.tweets[1]["id"]


def test_duplicate_of_someone_elses_post_is_reported(social: Social, x_server: XServer) -> None:
    root = social.parts("night-market", "x")[0]["text"]
    x_server.tweets.append({"id": "1", "sent": root, "text": root, "reply_to": None})
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "failed"
    assert "part 1 of 3" in outcome.message
    assert "duplicate" in outcome.message and "this run did not make it" in outcome.message
    assert len(x_server.tweets) == 1
    assert social.waits == []


def test_server_errors_are_given_up_on_after_the_attempts(
    social: Social, x_server: XServer
) -> None:
    x_server.fail("POST", TWEETS, status=500, times=QUICK.attempts)
    outcome = social.publish("night-market", "x")["x"]
    assert outcome.status == "failed"
    assert "X failed: 500" in outcome.message
    assert f"gave up after {QUICK.attempts} attempts" in outcome.message
    assert x_server.tweets == []
