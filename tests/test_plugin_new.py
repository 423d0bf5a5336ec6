"""`publisher plugin new NAME`: a complete package from the example plugin, or one clear refusal.

That the package installs with pip, shows in `publisher plugins` and passes its own tests is
shown in a fresh virtual environment by tests/test_install.py.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from publisher.cli import main
from support.project import REPOSITORY

EXAMPLE = REPOSITORY / "examples" / "plugin-webhook"


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_writes_a_package_named_for_its_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "plugin", "new", "team-chat")
    assert (code, err) == (0, "")
    folder = tmp_path / "publisher-team-chat"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "publisher_team_chat.py",
        "pyproject.toml",
        "tests/test_team_chat.py",
    ]
    assert out.splitlines() == [
        "Wrote publisher-team-chat/: pyproject.toml, README.md, publisher_team_chat.py, "
        "tests/test_team_chat.py",
        "Next: cd publisher-team-chat && pip install -e '.[test]' && python -m pytest",
    ]
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == "publisher-team-chat"
    assert project["entry-points"]["publisher"] == {"team-chat": "publisher_team_chat"}
    assert project["dependencies"] == ["publisher>=0.1.0"]
    assert project["optional-dependencies"]["test"] == ["pytest>=8.0"]
    module = ast.parse((folder / "publisher_team_chat.py").read_text())
    classes = {node.name: node for node in module.body if isinstance(node, ast.ClassDef)}
    assert set(classes) == {"TeamChatSettings", "TeamChatChannel"}
    assert "name = 'team-chat'" in ast.unparse(classes["TeamChatChannel"])
    tests = (folder / "tests" / "test_team_chat.py").read_text()
    assert "from publisher_team_chat import TeamChatChannel" in tests
    assert "class TestTeamChatContract(ChannelContract):" in tests
    assert "${TEAM_CHAT_TOKEN}" in (folder / "publisher_team_chat.py").read_text()
    assert "webhook" not in "".join(p.read_text().lower() for p in folder.rglob("*.*"))


def test_the_example_plugin_is_what_it_writes_for_webhook(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "")  # webhook is not installed here anyway
    code, _, err = run(capsys, "plugin", "new", "webhook", str(tmp_path / "hook"))
    assert (code, err) == (0, "")
    for written in (tmp_path / "hook").rglob("*.*"):
        relative = written.relative_to(tmp_path / "hook")
        assert written.read_text() == (EXAMPLE / relative).read_text(), relative


def test_a_name_with_webhook_in_it_is_renamed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, _ = run(capsys, "plugin", "new", "webhook2", str(tmp_path / "out"))
    assert code == 0
    module = (tmp_path / "out" / "publisher_webhook2.py").read_text()
    assert "class Webhook2Channel(Channel):" in module
    assert 'name = "webhook2"' in module


@pytest.mark.parametrize(
    "name",
    ["Team", "team chat", "2fast", "team--chat", "team-", "team_chat", "ä", "", "a" * 41, "../up"],
)
def test_a_bad_name_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "plugin", "new", name)
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: '{name}' is not a plugin name: ")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    code, _out, err = run(capsys, "plugin", "new", "relay", str(folder))
    assert code == 2
    assert err == f"error: {folder} already exists: plugin new writes a new folder only\n"
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_the_name_of_an_installed_channel_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, "plugin", "new", "mastodon", str(tmp_path / "m"))
    assert code == 2
    assert err.startswith("error: a channel named 'mastodon' is already installed")
    assert not (tmp_path / "m").exists()
