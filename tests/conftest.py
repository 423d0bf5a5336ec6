"""Shared fixtures: a throw-away project folder, and the recorder test channel on the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.project import DEFAULT_CONFIG, SAMPLE, SUPPORT_PLUGINS, Project

pytest_plugins = ("pytester",)  # the contract's own tests run pytest on a plugin's suite


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorder plugin on the path (here and in child processes); no user settings."""
    monkeypatch.syspath_prepend(str(SUPPORT_PLUGINS))
    paths = [str(SUPPORT_PLUGINS), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    for name in (
        "PUBLISHER_CONFIG",
        "PUBLISHER_LOAD_PLUGINS",
        "PUBLISHER_TRACE_PLUGINS",
        "SMTP_URL",
        "MASTODON_ACCESS_TOKEN",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture) -> Project:
    project = Project(tmp_path / "project", capsys)
    project.write_config(DEFAULT_CONFIG)
    project.add_story("night-market.md")
    return project


@pytest.fixture
def sample() -> Path:
    if not SAMPLE.exists():
        pytest.skip("the shared sample story is not here (../shared is absent)")
    return SAMPLE
