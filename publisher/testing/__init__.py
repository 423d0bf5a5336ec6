"""A pytest plugin for channel authors: hard sample editions, a loopback HTTP recorder, a
temporary state database, and a contract test class.

Installed with Publisher and loaded by pytest automatically. A channel's own
test suite subclasses `ChannelContract`, names its channel class and settings,
says where its deliveries go, and inherits tests that every channel must pass:

    class TestMyChannel(ChannelContract):
        channel_class = MyChannel
        settings = {"channel": "mine", "endpoint": "https://example.org"}

        def deliver_to(self, endpoint):
            return {"channel": "mine", "endpoint": endpoint.url}

Fixtures: `sample_story`, `hard_edition` (each hard edition in turn),
`digest_edition` (ten varied stories), `recorder` (a running `Recorder`),
`state` (a migrated state database in the test's folder), `no_network`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.edition import Edition
from publisher.state import State
from publisher.story import Story
from publisher.testing.contract import Arrival, ChannelContract
from publisher.testing.editions import (
    DIGEST_SIZE,
    LONG_URL,
    PUBLISHED,
    digest_stories,
    hard_editions,
    hard_stories,
    make_story,
)
from publisher.testing.editions import digest_edition as make_digest_edition
from publisher.testing.places import (
    NetworkUsed,
    make_destination,
    network_blocked,
    temporary_state,
)
from publisher.testing.recorder import Recorder, Request

__all__ = [
    "DIGEST_SIZE",
    "LONG_URL",
    "PUBLISHED",
    "Arrival",
    "ChannelContract",
    "NetworkUsed",
    "Recorder",
    "Request",
    "digest_stories",
    "hard_editions",
    "hard_stories",
    "make_destination",
    "make_digest_edition",
    "make_story",
    "network_blocked",
    "temporary_state",
]


@pytest.fixture
def sample_story() -> Story:
    """One plain, valid story."""
    return make_story()


@pytest.fixture(params=sorted(hard_editions()))
def hard_edition(request: pytest.FixtureRequest) -> Edition:
    """Each hard edition in turn: CJK, emoji, a long URL, a 2,000-character answer, no FAQ,
    markup in the headline, and the ten-story digest."""
    return hard_editions()[request.param]


@pytest.fixture
def digest_edition() -> Edition:
    """A digest of ten varied stories (`digest_stories`)."""
    return make_digest_edition()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A running loopback HTTP recorder, stopped after the test."""
    with Recorder() as running:
        yield running


@pytest.fixture
def state(tmp_path: Path) -> State:
    """A state database in the test's folder, upgraded by every installed plugin's migrations."""
    return temporary_state(tmp_path)


@pytest.fixture
def no_network() -> Iterator[list[str]]:
    """Refuse every connection and name lookup during the test; yields what was tried."""
    with network_blocked() as tried:
        yield tried
