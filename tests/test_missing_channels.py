"""The embedded defaults run with whichever channels are installed, and say which are not.

(A fresh virtual environment with the core alone is in tests/test_install.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher.cli import main
from support.project import EXAMPLES, Project


@pytest.fixture
def defaults_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder without configuration, holding the example stories: the embedded defaults."""
    shutil.copytree(EXAMPLES, tmp_path / "stories")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if "is not installed" in line]


def test_only_the_installed_channels_publish_and_each_missing_one_is_named(
    defaults_here: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "mastodon")
    code, out, err = run(capsys, "digest", "--since", "3650d", "--dry-run")
    assert code == 0, err
    assert notes(err) == [
        f"note: the {channel} channel is not installed, so the embedded defaults leave out "
        f"destination {name} (pip install publisher-{channel})"
        for channel, name in [("email", "newsletter"), ("x", "x"), ("bluesky", "bluesky")]
    ]
    assert "fediverse (mastodon)" in out
    assert "newsletter" not in out


def test_with_no_channel_at_all_check_and_status_still_run(
    defaults_here: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "")
    for command in ("check", "status", "digest"):
        code, _, err = run(capsys, command)
        assert code == 0, err
        assert len(notes(err)) == 4, err
    code, out, _ = run(capsys, "schedule", "list")
    assert code == 0
    assert "digest to every destination" in out


def test_json_logs_carry_each_missing_channel_as_an_event(
    defaults_here: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "email,mastodon,x")
    code, _, err = run(capsys, "--log-format", "json", "status")
    assert code == 0
    events = [json.loads(line) for line in err.splitlines()]
    [missing] = [event for event in events if event.get("event") == "missing_channel"]
    assert missing["channel"] == "bluesky"
    assert missing["destinations"] == ["bluesky"]
    assert missing["install"] == "publisher-bluesky"


def test_the_schedule_of_the_defaults_leaves_out_what_is_missing(
    defaults_here: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "email,x")
    code, out, _ = run(capsys, "schedule", "list")
    assert code == 0
    assert "digest to newsletter, x" in out


def test_a_missing_destination_asked_for_by_name_is_refused(
    defaults_here: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "email")
    code, out, err = run(capsys, "publish", "--story", "night-trains-return", "--to", "x")
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1] == (
        "error: destination 'x' needs the x channel, which is not installed "
        "(pip install publisher-x)"
    )


def test_a_configuration_of_ones_own_still_refuses_a_missing_channel(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_LOAD_PLUGINS", "recorder")
    project.write_config(
        '[site]\nname = "N"\n\n[destinations.social]\nchannel = "mastodon"\n'
        'instance = "https://m.example"\naccess_token = "t"\n'
    )
    result = project.run("check")
    assert result.code == 2
    assert result.err == (
        f"error: {project.config}: destinations.social.channel: unknown channel 'mastodon' "
        "(known: recorder); pip install publisher-mastodon provides it\n"
    )
