"""docs/plugins.md's walkthrough shows tested code only, and that code does what the page says.

Every Python and TOML block of the walkthrough sections is a piece of a tested file, byte for
byte: the example plugin (what `publisher plugin new` writes) or the notice-board channel in
support/board_channel.py, whose contract, digests, settings paths, secrets and `recover` are
tested here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from publisher import ConfigError, DeliveryContext, Edition
from publisher.testing import (
    Arrival,
    ChannelContract,
    Recorder,
    make_destination,
    make_digest_edition,
    make_story,
)
from publisher.workspace import Workspace
from support import board_channel
from support.board_channel import BoardChannel, copies_folder
from support.project import REPOSITORY, SITE, Project

DOCS = (REPOSITORY / "docs" / "plugins.md").read_text("utf-8")
WALKTHROUGH = (
    "Start a plugin: generate, edit, test, install",
    "Digests",
    "Settings paths",
    "Secrets",
    "Recover",
)
EXAMPLE = REPOSITORY / "examples" / "plugin-webhook"
SOURCES = [
    *(EXAMPLE / name for name in ("pyproject.toml", "README.md", "publisher_webhook.py")),
    EXAMPLE / "tests" / "test_webhook.py",
    Path(board_channel.__file__),
]
TOKEN = "board-secret-token-9d2c"


def section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", DOCS, re.MULTILINE | re.DOTALL)
    assert found, f"docs/plugins.md has no section '{title}'"
    return found.group(1)


@pytest.mark.parametrize("title", WALKTHROUGH)
def test_every_code_block_of_the_walkthrough_is_tested_code(title: str) -> None:
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", section(title), re.DOTALL)
    assert blocks
    sources = [path.read_text("utf-8") for path in SOURCES]
    for block in blocks:
        assert any(block in source for source in sources), f"not in a tested file:\n{block}"


def test_the_walkthrough_names_every_file_plugin_new_writes() -> None:
    text = section(WALKTHROUGH[0])
    for name in ("pyproject.toml", "publisher_telegram.py", "README.md", "tests/test_telegram.py"):
        assert name in text


# The notice-board channel -------------------------------------------------------------------


class TestBoardContract(ChannelContract):
    channel_class = BoardChannel
    settings = {"channel": "board", "url": "https://board.example.org/notes", "token": "t-42x"}

    def deliver_to(self, endpoint: Recorder) -> dict:
        return {"channel": "board", "url": f"{endpoint.url}/notes", "token": TOKEN}

    def delivered(self, endpoint: Recorder) -> list[Arrival]:
        """The recorder numbers what it takes from 1: those are the notes' ids."""
        return [
            Arrival(request.json()["text"], str(number), request.json()["reply_to"])
            for number, request in enumerate(endpoint.accepted, start=1)
        ]


def board(tmp_path: Path, url: str = "https://board.example.org/notes", **settings):
    values = {"channel": "board", "url": url, "token": TOKEN, **settings}
    return make_destination(BoardChannel, values, tmp_path)


def test_a_digest_is_a_title_then_a_note_for_every_story_in_its_language(tmp_path: Path) -> None:
    edition = make_digest_edition()
    parts = BoardChannel().render(edition, board(tmp_path)).parts
    assert parts[0].text == "Test News: the week to 23 November 2026 1/11"
    for story, part in zip(edition.stories, parts[1:], strict=True):
        assert part.text == f"{story.headline}\n{story.url} {part.text.rsplit(' ', 1)[1]}"
        assert part.extra["language"] == story.language
    assert [part.reply_to for part in parts] == [None, *range(10)]


def test_a_story_is_its_note_then_a_reply_per_question(tmp_path: Path) -> None:
    story = make_story()
    edition = Edition(id="story-x", kind="story", stories=[story])
    texts = [part.text for part in BoardChannel().render(edition, board(tmp_path)).parts]
    assert texts == [
        f"{story.headline}\n{story.url} 1/2",
        "How long is the crossing?\nTwelve minutes. 2/2",
    ]


@pytest.mark.parametrize("configured", ["board", "notes/copies", "ABSOLUTE"])
def test_a_relative_path_setting_is_read_from_the_project_folder(
    recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where the command runs does not matter
    absolute = tmp_path / "absolute-copies"
    copies = str(absolute) if configured == "ABSOLUTE" else configured
    destination = board(tmp_path / "project", f"{recorder.url}/notes", copies=copies)
    expected = absolute if configured == "ABSOLUTE" else tmp_path / "project" / configured
    assert copies_folder(destination) == expected

    edition = Edition(id="story-x", kind="story", stories=[make_story()])
    [part, _] = BoardChannel().render(edition, destination).parts
    context = DeliveryContext(edition, destination, 1, None, "key-1", "delivery-1")
    BoardChannel().deliver(part, context)

    assert (expected / "story-x-1.txt").read_text() == part.text
    assert list(elsewhere.iterdir()) == []


def test_the_token_is_read_from_the_environment_and_never_shown(
    recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {"channel": "board", "url": f"{recorder.url}/notes"}
    unset = make_destination(BoardChannel, values, tmp_path)
    with pytest.raises(
        ConfigError, match=r"^test\.token: environment variable BOARD_TOKEN is not set"
    ):
        BoardChannel().preflight(unset)

    monkeypatch.setenv("BOARD_TOKEN", TOKEN)
    destination = make_destination(BoardChannel, values, tmp_path)
    BoardChannel().preflight(destination)
    assert TOKEN not in repr(destination.settings)
    assert "Secret('${BOARD_TOKEN}')" in repr(destination.settings)
    edition = Edition(id="story-x", kind="story", stories=[make_story()])
    [part, _] = BoardChannel().render(edition, destination).parts
    BoardChannel().deliver(part, DeliveryContext(edition, destination, 1, None, "k", "d"))
    assert recorder.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_recover_finds_a_note_the_board_has_by_the_parts_key(
    recorder: Recorder, tmp_path: Path
) -> None:
    destination = board(tmp_path, f"{recorder.url}/notes")
    edition = Edition(id="story-x", kind="story", stories=[make_story()])
    [part, _] = BoardChannel().render(edition, destination).parts
    context = DeliveryContext(edition, destination, 1, None, "key/1", "d", in_flight=True)
    recorder.answer(200, {"id": "7", "url": f"{recorder.url}/notes/7"})

    found = BoardChannel().recover(part, context)
    missing = BoardChannel().recover(part, context)  # the recorder has nothing else: 404

    assert (found.id, found.url) == ("7", f"{recorder.url}/notes/7")
    assert missing is None
    asked = recorder.requests[0]
    assert (asked.method, asked.path) == ("GET", "/notes")
    assert asked.query == {"idempotency_key": "key/1"}
    assert asked.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_note_whose_answer_was_lost_is_found_not_posted_again(
    recorder: Recorder, project: Project
) -> None:
    """Through the core: the first note arrives, its answer is lost, the retry asks `recover`,
    which finds it; the thread goes on from it."""
    project.write_config(
        SITE + f'\n[destinations.board]\nchannel = "board"\nurl = "{recorder.url}/notes"\n'
        f'token = "{TOKEN}"\n'
    )
    recorder.lose_answer()
    recorder.answer(200, {"id": "1", "url": f"{recorder.url}/received/1"})  # the lookup
    opened = Workspace.open(project.config, plugins=_with_board())
    workspace = Workspace(opened.config, opened.plugins, sleep=lambda seconds: None)
    story = make_story()
    edition = Edition(id=f"story-{story.id}", kind="story", stories=[story])

    [outcome] = workspace.publish([(workspace.destinations(["board"])[0], edition)])

    assert outcome.status == "sent", outcome.message
    posts = [request for request in recorder.requests if request.method == "POST"]
    assert [json.loads(post.body)["text"].split("\n")[0] for post in posts] == [
        story.headline,
        "How long is the crossing?",
    ]
    assert json.loads(posts[1].body)["reply_to"] == "1"
    lookup = [request for request in recorder.requests if request.method == "GET"]
    assert lookup[0].query["idempotency_key"] == posts[0].headers["idempotency-key"]


def _with_board():
    from publisher.plugins import load_plugins

    return load_plugins(extra=[board_channel])
