"""Every setting a social channel takes is documented where a user looks for it: in the
channel's own README and in README.md's list of channels and their settings."""

from __future__ import annotations

import re

import pytest

from publisher.plugins import load_plugins
from publisher.social import SocialSettings
from support.project import REPOSITORY

SOCIAL = ["mastodon", "x", "bluesky"]
PER_DESTINATION = [
    name for name in SocialSettings.model_fields if name not in ("channel", "dry_run")
]


@pytest.mark.parametrize("channel", SOCIAL)
def test_the_channels_readme_names_every_social_setting(channel: str) -> None:
    readme = (REPOSITORY / "plugins" / channel / "README.md").read_text("utf-8")
    settings = load_plugins().channels[channel].settings_model.model_fields
    missing = [
        name
        for name in PER_DESTINATION
        if name in settings and not re.search(rf"`{name}`|^#? ?{name} =", readme, re.MULTILINE)
    ]
    assert not missing, f"plugins/{channel}/README.md does not mention {missing}"


@pytest.mark.parametrize("channel", SOCIAL)
def test_readmes_list_of_settings_names_the_thread_settings(channel: str) -> None:
    readme = (REPOSITORY / "README.md").read_text("utf-8")
    listed = re.search(rf"`{channel}` \(([^)]*(?:\([^)]*\)[^)]*)*)\)", readme)
    assert listed is not None, f"README.md lists no settings for {channel}"
    wanted = ["thread", "numbering", "disclosure", "max_posts"]
    missing = [name for name in wanted if f"`{name}`" not in listed.group(1)]
    assert not missing, f"README.md's settings of {channel} leave out {missing}"
