"""Mastodon delivery against a local server: threads, limits, and each failure by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from social.conftest import QUICK, Social
from social.servers import MastodonServer

STATUSES = "/api/v1/statuses"
TIMELINE = "/api/v1/accounts/1/statuses"

LONG_STORY = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
tags: [food, harbour, night life]
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.

## The story so far

The harbour board approved a night market after a summer trial that drew more visitors than \
the board had expected. Stall holders pay a flat fee per night, and the board keeps the quay \
lit until three. Residents asked for quiet hours after midnight, and the board agreed to end \
amplified music at eleven. The first night drew some four thousand people, by the board's count. \
Traders say the fee is fair, though several asked the board to publish how it spends it.

## Frequently Asked

- When does it open?
- Fridays from six in the evening, from April to October. In winter it moves into the old \
customs hall, where about half the stalls fit. The board says it will decide in March whether \
to add Saturdays. Until then, Fridays are the only nights. Stall holders who want a place in \
the hall apply through the board's website before the end of September.
"""


def test_a_story_goes_out_as_a_chained_thread(social: Social) -> None:
    parts = social.parts("night-market", "fediverse")
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    statuses = social.mastodon.statuses
    assert outcome.status == "sent", outcome.message
    assert [s["text"] for s in statuses] == [part["text"] for part in parts]
    assert social.mastodon.is_thread()
    assert outcome.receipt.url == statuses[0]["url"]


def test_root_is_public_replies_unlisted_language_from_the_story(social: Social) -> None:
    social.configure(mastodon='spoiler_text = "Local news"')
    social.project.add_story("long.md", LONG_STORY)
    social.publish("long", "fediverse")
    statuses = social.mastodon.statuses
    assert len(statuses) >= 3
    assert [s["visibility"] for s in statuses] == ["public"] + ["unlisted"] * (len(statuses) - 1)
    assert {s["language"] for s in statuses} == {"en"}
    assert {s["spoiler_text"] for s in statuses} == {"Local news"}


def test_root_visibility_and_reply_visibility_are_settings(social: Social) -> None:
    social.configure(mastodon='visibility = "unlisted"\nreply_visibility = "private"')
    social.publish("night-market", "fediverse")
    assert [s["visibility"] for s in social.mastodon.statuses] == ["unlisted", "private"]


def test_every_part_carries_an_idempotency_key_of_its_own(social: Social) -> None:
    social.publish("night-market", "fediverse")
    keys = [r.headers.get("idempotency-key") for r in social.mastodon.requests("POST", STATUSES)]
    assert len(keys) == 2 and all(keys) and len(set(keys)) == 2


def test_instance_limits_are_remembered_for_the_next_render(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.max_characters = 300
    assert {part["limit"] for part in social.parts("night-market", "fediverse")} == {500}
    social.publish("night-market", "fediverse")
    assert {part["limit"] for part in social.parts("night-market", "fediverse")} == {300}


def test_configuration_overrides_the_instance_limit(
    social: Social, mastodon_server: MastodonServer
) -> None:
    social.configure(mastodon="max_characters = 200")
    social.publish("night-market", "fediverse")
    assert mastodon_server.requests("GET", "/api/v2/instance")  # asked, and remembered
    assert {part["limit"] for part in social.parts("night-market", "fediverse")} == {200}


def test_rate_limit_waits_until_the_reset_the_server_names(
    social: Social, mastodon_server: MastodonServer
) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    mastodon_server.fail(
        "POST", STATUSES, status=429, body={"error": "Too many requests"}, headers=headers, skip=1
    )
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    assert len(social.waits) == 1 and 25 < social.waits[0] <= 31
    assert len(mastodon_server.statuses) == 2


def test_rate_limit_resetting_beyond_the_longest_wait_stops_with_a_time(
    social: Social, mastodon_server: MastodonServer
) -> None:
    reset = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    mastodon_server.fail(
        "POST",
        STATUSES,
        status=429,
        body={"error": "Too many requests"},
        headers={"X-RateLimit-Reset": reset},
    )
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    assert outcome.status == "failed"
    assert "rate limit" in outcome.message and "run again after that" in outcome.message
    assert social.waits == [] and mastodon_server.statuses == []


def test_server_errors_are_retried_with_backoff_and_the_same_key(
    social: Social, mastodon_server: MastodonServer
) -> None:
    # The root is made, then the answer is a 503: the retry finds it instead of posting it again.
    mastodon_server.fail("POST", STATUSES, status=503, body={"error": "busy"}, after=True)
    # The reply is refused with a 502: the retry looks for it, then posts it with the same key.
    mastodon_server.fail("POST", STATUSES, status=502, body={"error": "bad gateway"})
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    posts = mastodon_server.requests("POST", STATUSES)
    assert [post.body.get("in_reply_to_id") for post in posts] == [None, "1", "1"]
    assert posts[1].headers["idempotency-key"] == posts[2].headers["idempotency-key"]
    assert len(mastodon_server.requests("GET", TIMELINE)) == 2
    assert len(mastodon_server.statuses) == 2
    assert mastodon_server.is_thread()
    assert len(social.waits) == 2 and all(0 < wait <= QUICK.longest_pause for wait in social.waits)


def test_a_dropped_connection_is_retried_without_posting_twice(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.fail("POST", STATUSES, drop=True, after=True, skip=1)
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    assert len(mastodon_server.requests("POST", STATUSES)) == 2  # the retry found the reply
    assert len(mastodon_server.requests("GET", TIMELINE)) == 1
    assert len(mastodon_server.statuses) == 2
    assert mastodon_server.is_thread()


MARKUP_STORY = """\
---
headline: Fish & Chips <Returns> to the Quay
dek: A stall is back.
published: 2026-11-20T18:00:00+01:00
tags: [food, harbour]
---

## The story so far

Ask @ana@harbour.example, who runs it "with care" & charges <5 euros.
The menu: https://harbour.example.org/markets/night/menu-2026-winter-edition?lang=en&x=1.
"""


def test_a_part_in_flight_is_found_by_its_text_behind_mastodons_html(
    social: Social, mastodon_server: MastodonServer
) -> None:
    # Escaped characters, a mention shown without its domain, a link shown shortened.
    social.project.add_story("markup.md", MARKUP_STORY)
    mastodon_server.fail("POST", STATUSES, status=503, body={"error": "busy"}, after=True)
    outcome = social.publish("markup", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    root = mastodon_server.statuses[0]
    assert "&amp;" in root["content"] and 'class="invisible"' in root["content"]
    assert "@<span>ana</span>" in root["content"]
    assert len(mastodon_server.requests("POST", STATUSES)) == 1  # found, not posted again
    assert len(mastodon_server.requests("GET", TIMELINE)) == 1
    assert outcome.receipt.url == root["url"]


def test_a_failing_look_for_a_part_in_flight_is_retried_and_never_posts_twice(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.fail("POST", STATUSES, status=503, body={"error": "busy"}, after=True)
    mastodon_server.fail("GET", TIMELINE, status=502, body={"error": "bad gateway"})
    outcome = social.publish("night-market", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    assert len(mastodon_server.requests("GET", TIMELINE)) == 2  # failed, then found the root
    assert len(mastodon_server.requests("POST", STATUSES)) == 2  # the root once, the reply once
    assert mastodon_server.is_thread() and len(mastodon_server.statuses) == 2
    assert len(social.waits) == 2


def test_a_server_that_keeps_failing_is_given_up_on_and_resumed_later(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.fail("POST", STATUSES, status=500, body={"error": "oops"}, skip=1, times=3)
    first = social.publish("night-market", "fediverse")["fediverse"]
    assert first.status == "failed"
    assert "part 2 of 2" in first.message and "gave up after 3 attempts" in first.message
    assert len(mastodon_server.statuses) == 1
    second = social.publish("night-market", "fediverse")["fediverse"]
    assert second.status == "sent", second.message
    statuses = mastodon_server.statuses
    assert len(statuses) == 2 and statuses[1]["in_reply_to_id"] == statuses[0]["id"]


def test_a_refused_token_stops_this_destination_only(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.token = "a-newer-token"
    result = social.project.run("publish", "--story", "night-market", "--to", "fediverse,log")
    assert result.code == 1
    assert "fediverse: failed" in result.out
    assert "access token: it is invalid or expired" in result.out
    assert "log: sent" in result.out
    assert "mastodon-test-token" not in result.out + result.err
    assert mastodon_server.statuses == []


def test_too_long_for_the_instance_is_split_once_and_the_thread_goes_on(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.max_characters = 240  # lower than the 500 the parts are rendered for
    social.project.add_story("long.md", LONG_STORY)
    parts = social.parts("long", "fediverse")
    assert any(part["length"] > 240 for part in parts)
    outcome = social.publish("long", "fediverse")["fediverse"]
    assert outcome.status == "sent", outcome.message
    statuses = mastodon_server.statuses
    assert len(statuses) > len(parts)
    assert all(mastodon_server.count(s["text"]) <= 240 for s in statuses)
    assert social.mastodon.is_thread()
    assert (
        " ".join(s["text"] for s in statuses).split()
        == " ".join(part["text"] for part in parts).split()
    )
    keys = [s["idempotency_key"] for s in statuses]
    assert len(set(keys)) == len(keys)
    assert any(key.endswith("-2") for key in keys)


def test_too_long_even_after_splitting_fails_clearly(
    social: Social, mastodon_server: MastodonServer
) -> None:
    error = {"error": "Validation failed: Text character limit of 240 exceeded"}
    mastodon_server.fail("POST", STATUSES, status=422, body=error, times=10)
    social.project.add_story("long.md", LONG_STORY)
    outcome = social.publish("long", "fediverse")["fediverse"]
    assert outcome.status == "failed"
    assert "part 1 of" in outcome.message
    assert "still too long after splitting it for the instance's limit of 240" in outcome.message
    assert mastodon_server.statuses == []


def test_a_split_part_refused_midway_keeps_the_statuses_that_went_out(
    social: Social, mastodon_server: MastodonServer
) -> None:
    mastodon_server.max_characters = 240
    social.project.add_story("long.md", LONG_STORY)
    parts = social.parts("long", "fediverse")
    long = next(number for number, part in enumerate(parts) if part["length"] > 240)
    # The parts before it go out whole, the long one is refused whole, its first piece goes
    # out: then the instance refuses the second piece.
    error = {"error": "Validation failed: Text character limit of 240 exceeded"}
    mastodon_server.fail("POST", STATUSES, status=422, body=error, skip=long + 2, times=1)

    outcome = social.publish("long", "fediverse")["fediverse"]

    assert outcome.status == "failed"
    assert f"part {long + 1} is still too long after splitting it" in outcome.message
    assert "1 of its" in outcome.message and "statuses went out" in outcome.message
    posted = [s["text"] for s in mastodon_server.statuses]
    again = social.publish("long", "fediverse")["fediverse"]
    assert [s["text"] for s in mastodon_server.statuses] == posted, "nothing posted twice"
    assert again.status == "skipped", again.message
