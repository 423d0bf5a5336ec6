"""A throw-away project folder driven through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.cli import main

HERE = Path(__file__).resolve().parent.parent
SUPPORT_PLUGINS = HERE / "support" / "plugins"
REPOSITORY = HERE.parent
EXAMPLES = REPOSITORY / "examples" / "stories"
SAMPLE = REPOSITORY.parent / "shared" / "samples" / "open-source-compact.txt"

STORY = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
tags: [food, harbour]
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.

## Who Runs It

A cooperative of twelve families.

## The story so far

The harbour board approved a night market after a summer trial.

## Frequently Asked

- When does it open?
- Fridays from six in the evening.
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Project:
    """A project folder with config/, stories/ and a recorder destination named `log`."""

    root: Path
    capsys: pytest.CaptureFixture

    @property
    def config(self) -> Path:
        return self.root / "config" / "publisher.toml"

    @property
    def log(self) -> Path:
        return self.root / "remote" / "log.jsonl"

    def write_config(self, text: str) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(textwrap.dedent(text).replace("@ROOT@", str(self.root)), "utf-8")

    def add_story(self, name: str, text: str = STORY) -> Path:
        path = self.root / "stories" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, *args: str) -> Result:
        """Run the command line in this process, as `publisher --config ... ARGS`."""
        self.capsys.readouterr()
        code = main(["--config", str(self.config), *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def spawn(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `publisher ARGS` as a real process, for tests that kill it."""
        return subprocess.Popen(
            [sys.executable, "-m", "publisher.cli", "--config", str(self.config), *args],
            cwd=self.root,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def posts(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines() if line]


SITE = """\
[site]
name = "Test News"
url = "https://news.example.org"
timezone = "Europe/Berlin"
"""


def recorder_table(name: str = "log", **settings: object) -> str:
    """A recorder destination writing to remote/NAME.jsonl; settings become TOML values."""
    values = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    path = f"@ROOT@/remote/{name}.jsonl"
    return f'\n[destinations.{name}]\nchannel = "recorder"\npath = "{path}"\n{values}'


def recorder_config(**settings: object) -> str:
    """The test site with one recorder destination, `log`."""
    return SITE + recorder_table("log", **settings)


DEFAULT_CONFIG = recorder_config()
