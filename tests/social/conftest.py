"""Local Mastodon and X servers, and a project that publishes to them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from publisher.delivery import Outcome
from publisher.edition import single
from publisher.logs import setup_logging
from publisher.retry import RetryPolicy
from publisher.workspace import Workspace
from social.servers import ImageServer, MastodonServer, XServer

if TYPE_CHECKING:
    from support.project import Project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "stories"

# Retries as in production, with pauses too short to notice; `Social.waits` records them.
QUICK = RetryPolicy(attempts=3, first_pause=0.01, longest_pause=0.02, longest_wait=60)

CONFIG = """\
[site]
name = "Test News"
url = "https://news.example.org"
timezone = "Europe/Berlin"

[destinations.log]
channel = "recorder"
path = "@ROOT@/remote/log.jsonl"

[destinations.fediverse]
channel = "mastodon"
instance = "@MASTODON@"
access_token = "${MASTODON_ACCESS_TOKEN}"
thread = "faq"
@MASTODON_MORE@

[destinations.x]
channel = "x"
thread = "faq"
api_url = "@X@"
@X_MORE@
"""


@pytest.fixture
def mastodon_server() -> Iterator[MastodonServer]:
    with MastodonServer() as server:
        yield server


@pytest.fixture
def x_server() -> Iterator[XServer]:
    with XServer() as server:
        yield server


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    with ImageServer() as server:
        yield server


@dataclass
class Social:
    """A project with three destinations: `log` (the recorder), `fediverse` and `x`."""

    project: Project
    mastodon: MastodonServer
    x: XServer
    waits: list[float] = field(default_factory=list)

    def configure(self, mastodon: str = "", x: str = "") -> None:
        """Write the configuration, with extra lines for the Mastodon and X destinations."""
        self.project.write_config(
            CONFIG.replace("@MASTODON@", self.mastodon.url)
            .replace("@MASTODON_MORE@", mastodon)
            .replace("@X@", self.x.url)
            .replace("@X_MORE@", x)
        )

    def publish(self, story: Path | str, *to: str, retry: RetryPolicy = QUICK) -> dict[str, Any]:
        """Publish in this process, pausing only in `waits`; the outcome of each destination."""
        opened = Workspace.open(self.project.config)
        workspace = Workspace(opened.config, opened.plugins, retry=retry, sleep=self.waits.append)
        edition = single(workspace.find_story(str(story)).story)
        plan = [(destination, edition) for destination in workspace.destinations(list(to))]
        outcomes: list[Outcome] = workspace.publish(plan)
        return {outcome.destination: outcome for outcome in outcomes}

    def parts(self, story: Path | str, destination: str) -> list[dict[str, Any]]:
        """The parts `publish --dry-run --json` shows for one destination."""
        result = self.project.run(
            "publish", "--story", str(story), "--to", destination, "--dry-run", "--json"
        )
        assert result.code == 0, result.err
        return json.loads(result.out)["destinations"][destination]["parts"]


@pytest.fixture
def social(
    project: Project,
    mastodon_server: MastodonServer,
    x_server: XServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Social:
    setup_logging()  # the command line's log handler, on this test's stderr, not an earlier one's
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", mastodon_server.token)
    monkeypatch.setenv("X_API_KEY", x_server.consumer_key)
    monkeypatch.setenv("X_API_SECRET", "x-test-api-secret")
    monkeypatch.setenv("X_ACCESS_TOKEN", x_server.access_token)
    monkeypatch.setenv("X_ACCESS_TOKEN_SECRET", "x-test-token-secret")
    social = Social(project, mastodon_server, x_server)
    social.configure()
    return social
