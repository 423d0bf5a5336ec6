"""Posting to a local PDS through the atproto SDK's own HTTP path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text

from bluesky.conftest import CREATE, EXAMPLES, GET, REFRESH, SESSION, UPLOAD, Sky
from bluesky.server import MAX_THUMB, png
from publisher.state import State

TOKYO = EXAMPLES / "tokyo-library-night.json"

MARKET = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
tags: [food, harbour]
@IMAGE@---

## Lanterns on the Quay

Forty stalls opened on the first Friday.

## The story so far

The harbour board approved a night market after a summer trial.

## Frequently Asked

- When does it open?
- Fridays from six in the evening.
"""


def facet_slices(record: dict) -> list[tuple[str, str]]:
    """Each facet of a posted record as (the bytes it covers, decoded; what it links to)."""
    data = record["text"].encode("utf-8")
    slices = []
    for facet in record.get("facets") or []:
        [feature] = facet["features"]
        meaning = feature.get("uri") or "#" + feature["tag"]
        index = facet["index"]
        slices.append((data[index["byteStart"] : index["byteEnd"]].decode("utf-8"), meaning))
    return slices


def market(sky: Sky, image: str | None = None) -> Path:
    """A story of our own, with its image at `image` on the local server if given."""
    lines = (
        f"image:\n  url: {sky.server.url}{image}\n  alt: Lanterns on the quay\n" if image else ""
    )
    return sky.project.add_story("market.md", MARKET.replace("@IMAGE@", lines))


def state_keys(state: State) -> list[str]:
    with state.engine.begin() as db:
        return [row.key for row in db.execute(text("SELECT key FROM cache"))]


def bearer(request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def test_the_seed_story_goes_out_as_a_chained_thread_with_links_and_a_card(
    sky: Sky, sample: Path
) -> None:
    planned = sky.parts(sample)
    outcome = sky.publish(sample)

    assert outcome.status == "sent", outcome.message
    server = sky.server
    assert server.texts() == [part["text"] for part in planned]
    assert len(planned) > 3 and server.is_thread()
    values = [record["value"] for record in server.records]
    root = values[0]
    url = "https://news.example.org/stories/open-source-compact"
    assert facet_slices(root) == [("news.example.org/stories/open…", url)]
    assert root["embed"]["$type"] == "app.bsky.embed.external"
    card = root["embed"]["external"]
    assert card["uri"] == url
    assert card["title"] == "The Open Source Compact Is Breaking From Both Directions"
    assert card["description"].startswith("Chinese labs that built their reputations")
    assert all("embed" not in value for value in values[1:])
    assert all(value["langs"] == ["en"] for value in values)
    # Each part's record key was chosen by the channel; the receipt points at the posts.
    keys = [record["rkey"] for record in server.records]
    assert [sent.url.rsplit("/", 1)[1] for sent in outcome.receipt.parts] == keys
    assert keys == sorted(keys)
    assert outcome.receipt.url == f"https://bsky.app/profile/brief.test/post/{keys[0]}"
    assert len(server.calls(SESSION)) == 1


def test_hashtags_and_links_in_japanese_text_reach_the_server_as_facets(sky: Sky) -> None:
    outcome = sky.publish(TOKYO)
    assert outcome.status == "sent", outcome.message
    root = sky.server.records[0]["value"]
    assert facet_slices(root) == [
        (
            "news.example.org/stories/toky…",
            "https://news.example.org/stories/tokyo-library-night",
        ),
        ("#図書館", "#図書館"),
        ("#東京", "#東京"),
        ("#公共サービス", "#公共サービス"),
    ]
    assert root["langs"] == ["ja"]


# The SDK hands httpx the blob as `data=`, which httpx deprecates; not ours to change.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
def test_the_story_image_is_uploaded_as_the_card_thumbnail(sky: Sky) -> None:
    image = png(4, 3)
    sky.server.images["/images/market.png"] = (image, "image/png")
    outcome = sky.publish(market(sky, "/images/market.png"))

    assert outcome.status == "sent", outcome.message
    [upload] = sky.server.calls(UPLOAD)
    assert upload.headers["content-type"] == "image/png"
    assert upload.body["data"] == image
    thumb = sky.server.records[0]["value"]["embed"]["external"]["thumb"]
    assert thumb["mimeType"] == "image/png" and thumb["size"] == len(image)
    assert sky.server.blobs[thumb["ref"]["$link"]] == (image, "image/png")


@pytest.mark.parametrize(
    ("data", "mime", "reason"),
    [
        (png(padding=MAX_THUMB), "image/png", "is larger than the 1 MB allowed"),
        (b"<html>not a picture</html>", "text/html", "is not an image this channel knows"),
        # What the bytes are decides, as for every channel's pictures, not the Content-Type.
        (b"<html>not a picture</html>", "image/png", "is not an image this channel knows"),
        (None, "", "could not be fetched (Not Found)"),
    ],
    ids=["too-large", "not-an-image", "mislabelled", "missing"],
)
def test_an_image_bluesky_cannot_take_leaves_the_card_without_it(
    sky: Sky, capsys: pytest.CaptureFixture, data: bytes | None, mime: str, reason: str
) -> None:
    if data is not None:
        sky.server.images["/images/market.png"] = (data, mime)
    outcome = sky.publish(market(sky, "/images/market.png"))

    assert outcome.status == "sent", outcome.message
    card = sky.server.records[0]["value"]["embed"]["external"]
    assert card["title"] == "Harbour Opens a Night Market" and "thumb" not in card
    assert sky.server.calls(UPLOAD) == []
    err = capsys.readouterr().err
    said = f"part 1: the link card goes without a thumbnail: the image {sky.server.url}/images/"
    assert said in err
    assert reason in err


def test_a_rate_limit_is_waited_out_until_ratelimit_reset(sky: Sky) -> None:
    reset = int(time.time()) + 40
    sky.server.fail(
        "POST",
        "/xrpc/" + CREATE,
        status=429,
        skip=1,
        body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset),
        },
    )
    planned = sky.parts(TOKYO)
    outcome = sky.publish(TOKYO)

    assert outcome.status == "sent", outcome.message
    [wait] = sky.waits
    assert 30 < wait <= 40
    assert sky.server.texts() == [part["text"] for part in planned]
    assert sky.server.is_thread()


def test_a_rate_limit_that_resets_beyond_the_longest_wait_is_reported(sky: Sky) -> None:
    reset = int(time.time()) + 3 * 3600
    sky.server.fail(
        "POST",
        "/xrpc/" + CREATE,
        status=429,
        body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"ratelimit-reset": str(reset)},
    )
    outcome = sky.publish(TOKYO)

    assert outcome.status == "failed"
    assert "Bluesky's rate limit is reached; the limit resets in 180 minutes" in outcome.message
    assert sky.server.records == []


@pytest.mark.parametrize(
    "fault",
    [{"status": 502, "after": True}, {"drop": True}, {"status": 500}],
    ids=["answer-lost-after-the-post", "connection-dropped", "server-error"],
)
def test_a_failed_request_is_retried_and_the_part_posted_once(sky: Sky, fault: dict) -> None:
    planned = sky.parts(TOKYO)
    sky.server.fail("POST", "/xrpc/" + CREATE, skip=1, **fault)
    outcome = sky.publish(TOKYO)

    assert outcome.status == "sent", outcome.message
    assert sky.server.texts() == [part["text"] for part in planned]
    assert sky.server.is_thread()
    assert len(sky.waits) == 1
    # The retry first asked whether the part had arrived, under the key it had chosen.
    [look] = sky.server.calls(GET)
    creates = [
        r for r in sky.server.calls(CREATE) if r.body["record"]["text"] == planned[1]["text"]
    ]
    assert look.query["rkey"] == creates[0].body["rkey"]
    assert len(creates) == 1 + (not fault.get("after"))
    assert len({create.body["rkey"] for create in creates}) == 1


def test_a_refused_app_password_stops_the_destination_without_showing_it(
    sky: Sky, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "wrong-app-password")
    result = sky.project.run("publish", "--story", str(TOKYO), "--to", "bluesky")

    assert result.code == 1
    assert "bluesky: failed" in result.out
    assert "Bluesky refused the handle 'brief.test' with its app password" in result.out
    assert "Invalid identifier or password" in result.out
    assert "wrong-app-password" not in result.out + result.err
    assert sky.server.records == []
    assert len(sky.server.calls(SESSION)) == 1  # refused once, not tried again and again


def test_the_session_is_kept_and_reused_by_the_next_run(sky: Sky, sample: Path) -> None:
    assert sky.publish(TOKYO).status == "sent"
    first = {bearer(r) for r in sky.server.calls(CREATE)}
    assert sky.publish(sample).status == "sent"

    assert len(sky.server.calls(SESSION)) == 1
    assert sky.server.calls(REFRESH) == []
    assert {bearer(r) for r in sky.server.calls(CREATE)} == first  # one access token throughout


def test_an_expired_access_token_is_refreshed_instead_of_logging_in_again(
    sky: Sky, sample: Path
) -> None:
    assert sky.publish(TOKYO).status == "sent"
    with time_machine.travel(time.time() + 3 * 3600, tick=True):  # the access token lasts 2 h
        outcome = sky.publish(sample)
    assert outcome.status == "sent", outcome.message
    assert len(sky.server.calls(SESSION)) == 1
    [refresh] = sky.server.calls(REFRESH)
    assert bearer(refresh) in sky.server.tokens
    # The refreshed tokens were stored: a third run needs neither a login nor a refresh.
    assert sky.publish(market(sky)).status == "sent"
    assert (len(sky.server.calls(SESSION)), len(sky.server.calls(REFRESH))) == (1, 1)


def test_an_expired_token_whose_refresh_is_refused_leads_to_one_new_login(
    sky: Sky, sample: Path
) -> None:
    assert sky.publish(TOKYO).status == "sent"
    sky.server.revoke_sessions()
    with time_machine.travel(time.time() + 3 * 3600, tick=True):
        outcome = sky.publish(sample)
    assert outcome.status == "sent", outcome.message
    assert len(sky.server.calls(REFRESH)) == 1  # the SDK's own, refused
    assert len(sky.server.calls(SESSION)) == 2


def test_a_revoked_session_leads_to_one_new_login(sky: Sky, sample: Path) -> None:
    assert sky.publish(TOKYO).status == "sent"
    before = len(sky.server.records)
    planned = sky.parts(sample)
    sky.server.revoke_sessions()
    outcome = sky.publish(sample)

    assert outcome.status == "sent", outcome.message
    assert len(sky.server.calls(SESSION)) == 2
    assert len(sky.server.calls(REFRESH)) == 1  # tried first, refused
    assert sky.server.texts()[before:] == [part["text"] for part in planned]


def test_tokens_and_password_are_masked_when_a_server_echoes_them(sky: Sky) -> None:
    assert sky.publish(TOKYO).status == "sent"
    secrets = [*sky.server.tokens, sky.server.password]
    sky.server.fail(
        "POST",
        "/xrpc/" + CREATE,
        status=400,
        body={"error": "InvalidRequest", "message": "refused: " + " ".join(secrets)},
    )
    result = sky.project.run("publish", "--story", str(market(sky)), "--to", "bluesky")

    assert result.code == 1
    assert "Bluesky refused the request: 400 InvalidRequest: refused: ********" in result.out
    for secret in secrets:
        assert secret not in result.out + result.err


@pytest.mark.parametrize("stored", ["garbage", "brief.test:::did:plc:x:::not-a-jwt:::x:::@PDS@"])
def test_a_stored_session_that_cannot_be_read_is_replaced_by_a_login(sky: Sky, stored: str) -> None:
    assert sky.publish(TOKYO).status == "sent"
    state = State(f"sqlite:///{sky.project.root / 'state' / 'publisher.db'}")
    [key] = [key for key in state_keys(state) if key.startswith("bluesky:session:")]
    state.put(key, {"session": stored.replace("@PDS@", sky.server.url)})

    outcome = sky.publish(market(sky))
    assert outcome.status == "sent", outcome.message
    assert len(sky.server.calls(SESSION)) == 2
    assert state.get(key)["session"].startswith("brief.test:::did:plc:brieftestaccount000000:::")
