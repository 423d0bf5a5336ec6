"""Start-up: a command loads what it needs. `publisher --help` loads the plugins' commands but
no channel, SDK, template compiler or database library; `publisher status` reads the
configuration and the ledger without any channel's SDK. Each runs in a fresh interpreter,
which then reports the modules it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support.project import Project

pytestmark = pytest.mark.slow  # each test starts a fresh interpreter

REPORT = """
import json, sys
from publisher.cli import main
code = main(sys.argv[1:])
print("MODULES " + json.dumps(sorted(sys.modules)))
"""
SDKS = ("tweepy", "mastodon", "atproto", "atproto_client", "mjml", "twitter_text", "dkim")
# The standard library's costly ones too: pathlib and logging each cost `--help` about half of
# `python -c pass` (bench/startup.py), and --help needs neither.
NOT_FOR_HELP = (
    *SDKS,
    *("sqlalchemy", "pydantic", "rich", "jinja2", "yaml", "apscheduler"),
    *("pathlib", "logging", "shutil"),
)


def _imported(cwd, *args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The top-level packages a `publisher ARGS` process imported, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    modules = json.loads(line.removeprefix("MODULES "))
    return {name.partition(".")[0] for name in modules}, done.stdout


def test_help_imports_no_channel_sdk_nor_database_library(project: Project) -> None:
    # The plugins installed with Publisher only: the tests' own plugins import the API eagerly.
    installed = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    imported, said = _imported(project.root, "--help", env=installed)
    assert "subscribers" in said  # the email plugin's commands are there
    assert "digest" in said
    assert sorted(imported.intersection(NOT_FOR_HELP)) == []


def test_status_imports_no_channel_sdk(project: Project) -> None:
    project.write_config(
        (project.config.read_text("utf-8"))
        + """
[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "outbox:outbox"

[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "unused"
dry_run = true

[destinations.x]
channel = "x"
dry_run = true

[destinations.sky]
channel = "bluesky"
handle = "news.example.org"
dry_run = true
"""
    )
    assert project.run("publish", "--story", "night-market", "--to", "log").code == 0
    imported, said = _imported(project.root, "--config", str(project.config), "status")
    assert "night-market" in said  # it read the ledger
    assert sorted(imported.intersection(SDKS)) == []
