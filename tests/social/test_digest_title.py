"""The digest title: one formatting for both networks, checked when the configuration loads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.channel import Channel
from publisher.edition import digest
from publisher.social import digest_title
from publisher.testing import make_destination, make_story
from publisher_mastodon.channel import MastodonChannel
from publisher_x.channel import XChannel
from social.conftest import Social

END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MASTODON = {"channel": "mastodon", "instance": "https://m.example", "access_token": "t0ken"}


def test_digest_title_fills_in_the_site_and_the_date() -> None:
    pattern = "{site}: the week to {date:%d %B %Y}"
    assert digest_title(pattern, "Test News", END) == "Test News: the week to 23 November 2026"


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_a_digest_root_starts_with_the_configured_title(
    tmp_path: Path, channel: type[Channel]
) -> None:
    settings = {**(MASTODON if channel is MastodonChannel else {"channel": "x"})}
    settings["digest_title"] = "{site} weekly, {date:%Y-%m-%d}"
    destination = make_destination(channel, settings, tmp_path)
    stories = [make_story(id="ferry"), make_story(id="market", published=END - timedelta(days=1))]
    edition = digest(stories, END, timedelta(days=7))
    root = channel().render(edition, destination).parts[0].text
    assert root.startswith("Test News weekly, 2026-11-23\n\n")


@pytest.mark.parametrize("destination", ["fediverse", "x"])
@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("{sitename}: the week to {date:%d %B %Y}", "unknown placeholder {sitename}"),
        ("{} weekly", "a placeholder without a name"),
        ("{site} weekly, {date:%d %B", "not a valid pattern"),
        ("{site} week {date.week}", "not a valid pattern"),
    ],
)
def test_a_bad_digest_title_is_refused_when_the_configuration_loads(
    social: Social, destination: str, pattern: str, reason: str
) -> None:
    line = f"digest_title = {pattern!r}"
    social.configure(**{"mastodon" if destination == "fediverse" else "x": line})
    result = social.project.run("publish", "--story", "night-market", "--dry-run")
    assert result.code == 2, result.out + result.err
    where = f"error: {social.project.config}: destinations.{destination}.digest_title: "
    assert result.err.startswith(where + reason), result.err
    assert "use {site}, {date}" in result.err
    assert "Traceback" not in result.err
