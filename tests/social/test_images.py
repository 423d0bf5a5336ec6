"""The story's picture, with its alt text: fetched at delivery, checked, attached to the root."""

from __future__ import annotations

import html

import pytest

from social.conftest import Social
from social.servers import PNG, ImageServer

ALT = "Paper lanterns hang over forty stalls on the quay at night."
STORY = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
image:
  url: "@IMAGE@"
  alt: "@ALT@"
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.

## The story so far

The harbour board approved a night market after a summer trial.

## Frequently Asked

- When does it open?
- Fridays from six in the evening.
"""


def with_image(social: Social, url: str, alt: str = ALT) -> None:
    social.project.add_story("market.md", STORY.replace("@IMAGE@", url).replace("@ALT@", alt))


def test_the_picture_goes_on_the_root_post_with_its_alt_text(
    social: Social, image_server: ImageServer
) -> None:
    with_image(social, f"{image_server.url}/picture.png")
    parts = social.parts("market", "fediverse") + social.parts("market", "x")
    assert image_server.requests("GET", "/picture.png") == []  # not at render
    assert parts[0]["image"] == {"url": f"{image_server.url}/picture.png", "alt": ALT}

    result = social.project.run("publish", "--story", "market", "--to", "fediverse,x")
    assert result.code == 0, result.out + result.err
    statuses = social.mastodon.statuses
    assert [len(status["media_attachments"]) for status in statuses] == [1, 0]
    media = statuses[0]["media_attachments"][0]
    assert media["description"] == ALT
    assert social.mastodon.media[media["id"]]["data"] == PNG
    tweets = social.x.tweets
    assert [len(tweet["media"]) for tweet in tweets] == [1, 0, 0]
    assert tweets[0]["media"][0] == {"type": "image/png", "size": len(PNG), "alt_text": ALT}
    assert len(image_server.requests("GET", "/picture.png")) == 2  # once per channel
    assert "warning" not in social.project.run("status").out


def test_a_picture_without_alt_text_is_not_attached_and_the_preview_warns(
    social: Social, image_server: ImageServer, tmp_path
) -> None:
    with_image(social, f"{image_server.url}/picture.png", alt="")
    out = tmp_path / "preview"
    preview = social.project.run("preview", "--story", "market", "--out", str(out))
    assert preview.code == 0, preview.err
    warning = "the image of 'market' has no alt text, so it is not attached: add image.alt"
    assert warning in html.unescape((out / "index.html").read_text())
    dry = social.project.run("publish", "--story", "market", "--dry-run", "--to", "x")
    assert f"warning: x: {warning}" in " ".join(dry.err.split())

    assert social.project.run("publish", "--story", "market", "--to", "fediverse,x").code == 0
    assert all(not status["media_attachments"] for status in social.mastodon.statuses)
    assert all(not tweet["media"] for tweet in social.x.tweets)
    assert image_server.requests("GET", "/picture.png") == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.png", "could not be fetched (Not Found)"),
        ("/notes.txt", "is not an image this channel knows"),
    ],
)
def test_a_picture_that_cannot_be_used_is_left_out_with_a_warning_status_shows(
    social: Social, image_server: ImageServer, path: str, reason: str
) -> None:
    image_server.files["/notes.txt"] = (b"just some words", "image/png")
    with_image(social, f"{image_server.url}{path}")
    result = social.project.run("publish", "--story", "market", "--to", "fediverse,x")
    assert result.code == 0, result.out + result.err
    assert "fediverse: sent 2 parts" in result.out and "x: sent 3 parts" in result.out
    assert not social.mastodon.statuses[0]["media_attachments"]
    assert not social.x.tweets[0]["media"]
    status = " ".join(social.project.run("status").out.split())
    for destination in ("fediverse", "x"):
        assert (
            f"warning {destination}: story-market: the image {image_server.url}{path} {reason}"
        ) in status
    assert "part 1 was posted without it" in status


def test_a_picture_larger_than_the_instance_takes_is_left_out(
    social: Social, image_server: ImageServer
) -> None:
    social.mastodon.image_size_limit = len(PNG) - 1
    with_image(social, f"{image_server.url}/picture.png")
    assert social.project.run("publish", "--story", "market", "--to", "fediverse").code == 0
    assert not social.mastodon.statuses[0]["media_attachments"]
    assert social.mastodon.requests("POST", "/api/v2/media") == []
    status = " ".join(social.project.run("status").out.split())
    assert "is larger than the" in status and "MB allowed; part 1 was posted without it" in status
