"""A pytest plugin for channel authors: hard sample editions and a contract test class.

Installed with Publisher and loaded by pytest automatically. A channel's own
test suite subclasses `ChannelContract`, names its channel class and settings,
and inherits tests that every channel must pass:

    class TestMyChannel(ChannelContract):
        channel_class = MyChannel
        settings = {"channel": "mine", "endpoint": "https://example.org"}
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from publisher.channel import Channel, Destination
from publisher.config import SiteSettings
from publisher.edition import Edition, digest, single
from publisher.migrate import plugin_histories
from publisher.plugins import load_plugins
from publisher.state import State
from publisher.story import Story
from publisher.templates import Templates

__all__ = [
    "LONG_URL",
    "PUBLISHED",
    "ChannelContract",
    "hard_edition",
    "hard_editions",
    "hard_stories",
    "make_destination",
    "make_story",
    "no_network",
    "sample_story",
]

PUBLISHED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
"""When the sample stories were published (a Monday morning, UTC).

>>> make_story().published == PUBLISHED
True
"""

LONG_URL = (
    "https://news.example.org/stories/" + "a-very-long-path-segment-" * 12 + "end?ref=x&utm=y"
)
"""A story URL longer than a whole post on most networks: a channel must still fit it.

>>> len(LONG_URL) > 300
True
"""


def make_story(**fields: Any) -> Story:
    """A valid story with sensible defaults; pass fields to change any of them.

    >>> story = make_story(id="trams", headline="Trams Return", faq=[])
    >>> (story.url, story.headline, story.faq)
    ('https://news.example.org/stories/trams', 'Trams Return', [])
    """
    story_id = fields.pop("id", "sample-story")
    values: dict[str, Any] = {
        "id": story_id,
        "headline": "City Opens Its First Solar Ferry Line",
        "dek": "The boats run every twenty minutes and charge at the pier.",
        "sections": [
            {"heading": "A Quiet Crossing", "paragraphs": ["The first boat left at six."]}
        ],
        "summary": "The harbour's first solar ferry started service on Monday.",
        "faq": [{"q": "How long is the crossing?", "a": "Twelve minutes."}],
        "url": f"https://news.example.org/stories/{story_id}",
        "published": PUBLISHED,
        "tags": ["transport", "solar power"],
    }
    values.update(fields)
    return Story.model_validate(values)


def hard_stories() -> dict[str, Story]:
    """Stories that break naive channels: scripts, emoji, long URLs, long answers, no FAQ.

    >>> sorted(hard_stories())
    ['cjk', 'emoji', 'long-answer', 'long-url', 'markup', 'no-faq']
    """
    long_answer = " ".join(
        f"Sentence number {n} explains one more detail of the plan in plain words."
        for n in range(30)
    )
    return {
        "cjk": make_story(
            id="cjk",
            headline="東京の図書館が深夜開館を試行",
            dek="三か月の試験期間に、学生と夜勤明けの利用者が集まった。",
            summary="区立図書館が深夜開館を試行している。" * 12,
            faq=[{"q": "誰でも使えますか？", "a": "登録すれば誰でも使えます。" * 20}],
            language="ja",
            tags=["図書館", "東京"],
        ),
        "emoji": make_story(
            id="emoji",
            headline="Festival Weekend 🎉🎶 Brings 👨‍👩‍👧‍👦 Families Downtown 🇩🇪",
            summary="🎉 " * 200,
            tags=["festival 🎉", "city life"],
        ),
        "long-url": make_story(
            id="long-url", url=LONG_URL, summary=f"Read it at {LONG_URL} today."
        ),
        "long-answer": make_story(
            id="long-answer", faq=[{"q": "What does the plan do?", "a": long_answer[:2000]}]
        ),
        "no-faq": make_story(id="no-faq", faq=[], summary="", tags=[]),
        "markup": make_story(
            id="markup",
            headline="Why x < y & </mj-text> <script>alert(1)</script> Matter",
            dek="Tags like <b>bold</b> must show as text.",
            summary="A & B < C > D \"quoted\" 'single'.",
        ),
    }


def hard_editions() -> dict[str, Edition]:
    """Each hard story as its own edition, plus a digest of all of them.

    >>> editions = hard_editions()
    >>> editions["cjk"].kind, editions["digest"].kind, len(editions["digest"].stories)
    ('story', 'digest', 6)
    """
    stories = hard_stories()
    editions = {name: single(story) for name, story in stories.items()}
    everything = digest(stories.values(), PUBLISHED + timedelta(hours=1), timedelta(days=7))
    assert everything is not None, "every hard story is in the digest's window"
    editions["digest"] = everything
    return editions


@pytest.fixture
def sample_story() -> Story:
    """A fixture: the story `make_story()` makes.

    Example::

        def test_renders_the_headline(sample_story, destination):
            rendition = MyChannel().render(single(sample_story), destination)
            assert sample_story.headline in rendition.parts[0].text
    """
    return make_story()


@pytest.fixture(params=sorted(hard_editions()))
def hard_edition(request: pytest.FixtureRequest) -> Edition:
    """A fixture: each of `hard_editions()` in turn (the test runs once for each).

    Example::

        def test_every_part_fits(hard_edition, destination):
            for part in MyChannel().render(hard_edition, destination).parts:
                assert part.length <= part.limit
    """
    return hard_editions()[request.param]


class _NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fixture: fail the test if anything opens a network connection (render must be pure).

    Example::

        def test_render_stays_offline(sample_story, destination, no_network):
            MyChannel().render(single(sample_story), destination)
    """

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise _NetworkUsed("render opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def make_destination(
    channel_class: type[Channel],
    settings: Mapping[str, Any],
    tmp_path: Path,
    name: str = "test",
    templates: Path | None = None,
) -> Destination:
    """A destination for `channel_class` with a throw-away state database.

    Its tables are those of the core and of every installed plugin, made by
    their migrations on first use, as in a real run.

    Example::

        def test_posts_to_the_endpoint(tmp_path, sample_story):
            destination = make_destination(
                MyChannel, {"channel": "mine", "endpoint": "http://127.0.0.1:8025"}, tmp_path
            )
            parts = MyChannel().render(single(sample_story), destination).parts
    """
    return Destination(
        name=name,
        settings=channel_class.settings_model.model_validate(dict(settings)),
        site=SiteSettings(name="Test News", url="https://news.example.org"),
        templates=Templates([templates] if templates else []),
        state=State(f"sqlite:///{tmp_path / 'state.db'}", plugin_histories(load_plugins())),
    )


class ChannelContract:
    """Tests every channel passes. Subclass and set `channel_class` and `settings`.

    Example, in a plugin's own tests::

        class TestWebhookContract(ChannelContract):
            channel_class = WebhookChannel
            settings = {"channel": "webhook", "url": "https://hooks.example.org/stories"}
    """

    channel_class: ClassVar[type[Channel]]
    settings: ClassVar[Mapping[str, Any]]

    @pytest.fixture
    def destination(self, tmp_path: Path) -> Destination:
        return make_destination(self.channel_class, self.settings, tmp_path)

    def test_renders_every_hard_edition_within_limits(
        self, destination: Destination, hard_edition: Edition, no_network: None
    ) -> None:
        rendition = self.channel_class().render(hard_edition, destination)
        assert rendition.parts, "a rendition must have at least one part"
        for number, part in enumerate(rendition.parts):
            assert part.text.strip(), f"part {number + 1} is empty"
            if part.limit is not None:
                assert part.length is not None and part.length <= part.limit, (
                    f"part {number + 1} is {part.length} long, over its limit of {part.limit}"
                )
            if part.reply_to is not None:
                assert 0 <= part.reply_to < number, f"part {number + 1} replies to a later part"

    def test_render_is_repeatable(self, destination: Destination, hard_edition: Edition) -> None:
        first = self.channel_class().render(hard_edition, destination)
        second = self.channel_class().render(hard_edition, destination)
        assert first == second

    def test_has_a_name_and_settings_model(self) -> None:
        assert self.channel_class.name
        assert self.channel_class.settings_model.model_validate(dict(self.settings))
