"""A local PDS, and a project whose `bluesky` destination posts to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bluesky.server import BlueskyServer
from publisher.delivery import Outcome
from publisher.edition import single
from publisher.logs import setup_logging
from publisher.retry import RetryPolicy
from publisher.workspace import Workspace

if TYPE_CHECKING:
    from support.project import Project

# Retries as in production, with pauses too short to notice; `Sky.waits` records them.
QUICK = RetryPolicy(attempts=3, first_pause=0.01, longest_pause=0.02, longest_wait=60)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "stories"
SESSION = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"
CREATE = "com.atproto.repo.createRecord"
GET = "com.atproto.repo.getRecord"
UPLOAD = "com.atproto.repo.uploadBlob"

CONFIG = """\
[site]
name = "Test News"
url = "https://news.example.org"
timezone = "Europe/Berlin"

[destinations.bluesky]
channel = "bluesky"
handle = "brief.test"
service = "@PDS@"
thread = "faq"
@MORE@
"""


@pytest.fixture
def bluesky_server() -> Iterator[BlueskyServer]:
    with BlueskyServer() as server:
        yield server


@dataclass
class Sky:
    """A project with one destination, `bluesky`, on the local PDS."""

    project: Project
    server: BlueskyServer
    waits: list[float] = field(default_factory=list)

    def configure(self, more: str = "") -> None:
        self.project.write_config(CONFIG.replace("@PDS@", self.server.url).replace("@MORE@", more))

    def publish(self, story: Path | str, retry: RetryPolicy = QUICK) -> Outcome:
        """Publish in this process, pausing only in `waits`; warnings go to this test's stderr."""
        setup_logging()
        opened = Workspace.open(self.project.config)
        workspace = Workspace(opened.config, opened.plugins, retry=retry, sleep=self.waits.append)
        edition = single(workspace.find_story(str(story)).story)
        [outcome] = workspace.publish([(workspace.destinations(["bluesky"])[0], edition)])
        return outcome

    def parts(self, story: Path | str) -> list[dict[str, Any]]:
        """The parts `publish --dry-run --json` shows."""
        result = self.project.run(
            "publish", "--story", str(story), "--to", "bluesky", "--dry-run", "--json"
        )
        assert result.code == 0, result.err
        return json.loads(result.out)["destinations"]["bluesky"]["parts"]


@pytest.fixture
def sky(project: Project, bluesky_server: BlueskyServer, monkeypatch: pytest.MonkeyPatch) -> Sky:
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", bluesky_server.password)
    sky = Sky(project, bluesky_server)
    sky.configure()
    return sky
