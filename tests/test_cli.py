"""The command line as scripts and editors use it: JSON shapes, previews, digests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from support.project import EXAMPLES, SITE, STORY, Project, recorder_table

ALL_CHANNELS = (
    SITE
    + """
[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "outbox:outbox"

[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "${MASTODON_ACCESS_TOKEN}"

[destinations.x]
channel = "x"

"""
    + recorder_table()
)


def test_dry_run_json_has_every_destinations_parts(project: Project) -> None:
    project.write_config(ALL_CHANNELS)
    result = project.run("publish", "--story", "night-market", "--dry-run", "--json")
    assert result.code == 0, result.err
    rendered = json.loads(result.out)["destinations"]
    assert {name: d["channel"] for name, d in rendered.items()} == {
        "newsletter": "email",
        "fediverse": "mastodon",
        "x": "x",
        "log": "recorder",
    }
    root = rendered["fediverse"]["parts"][0]
    assert set(root) >= {"text", "length", "limit", "reply_to"}
    assert root["limit"] == 500 and root["reply_to"] is None
    assert root["text"].startswith("Harbour Opens a Night Market\n\n")
    assert "https://news.example.org/stories/night-market" in root["text"]
    assert [part["reply_to"] for part in rendered["fediverse"]["parts"]] == [None, 0]
    x_root = rendered["x"]["parts"][0]
    assert x_root["limit"] == 280 and x_root["length"] <= 280
    [email] = rendered["newsletter"]["parts"]
    assert email["subject"] == "Harbour Opens a Night Market"
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["html"].startswith("<!doctype html>")
    assert "Forty stalls opened on the first Friday." in email["text"]
    assert project.posts() == [] and not (project.root / "outbox").exists()


def test_dry_run_prints_each_part_for_review(project: Project) -> None:
    project.write_config(ALL_CHANNELS)
    result = project.run("publish", "--story", "night-market", "--dry-run", "--to", "x")
    assert result.code == 0
    assert "x (x): 2 part(s)" in result.out
    assert "-- part 1 (" in result.out and "/280)" in result.out
    assert "-- part 2 (" in result.out and "reply to 1)" in result.out


def test_json_needs_dry_run(project: Project) -> None:
    result = project.run("publish", "--story", "night-market", "--json")
    assert result.code == 2
    assert "--json goes with --dry-run" in result.err
    assert project.posts() == []


def test_preview_writes_a_file_per_part_and_an_index(project: Project, tmp_path: Path) -> None:
    project.write_config(ALL_CHANNELS)
    out = tmp_path / "preview"
    result = project.run("preview", "--story", "night-market", "--out", str(out))
    assert result.code == 0, result.err
    assert f"open {out / 'index.html'}" in result.out
    assert (out / "newsletter" / "part-01.html").read_text().startswith("<!doctype html>")
    assert "Forty stalls" in (out / "newsletter" / "part-01.txt").read_text()
    assert (out / "fediverse" / "part-02.txt").read_text().startswith("When does it open?\n")
    index = (out / "index.html").read_text()
    for name in ("newsletter", "fediverse", "x", "log"):
        assert f"<h2>{name}</h2>" in index
    assert 'src="newsletter/part-01.html"' in index
    assert "Harbour Opens a Night Market" in index
    assert project.posts() == []

    again = project.run("preview", "--story", "night-market", "--to", "x", "--out", str(out))
    assert again.code == 0, again.err
    assert sorted(p.name for p in out.iterdir()) == [".publisher-preview", "index.html", "x"]


def test_preview_never_empties_a_folder_that_holds_other_files(project: Project, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = project.run("preview", "--story", "night-market", "--out", str(tmp_path))
    assert result.code == 2
    assert "the folder holds other files; give a new or empty folder" in result.err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_dry_run_leaves_no_state_database_behind(project: Project) -> None:
    project.write_config(ALL_CHANNELS)
    assert project.run("publish", "--story", "night-market", "--dry-run").code == 0
    out = str(project.root / "preview")
    assert project.run("preview", "--story", "night-market", "--out", out).code == 0
    assert not (project.root / "state").exists()


def _dated(project: Project, name: str, days_ago: int) -> None:
    when = (datetime.now().astimezone() - timedelta(days=days_ago)).isoformat(timespec="seconds")
    project.add_story(
        f"{name}.md",
        STORY.replace("2026-11-20T18:00:00+01:00", when).replace(
            "Harbour Opens a Night Market", f"Story {name}"
        ),
    )


def test_digest_takes_the_window_and_never_repeats_a_story(project: Project) -> None:
    (project.root / "stories" / "night-market.md").unlink()
    _dated(project, "old", 20)
    _dated(project, "recent", 2)
    _dated(project, "newest", 1)
    first = project.run("digest", "--since", "7d")
    assert first.code == 0, first.err
    assert [post["text"] for post in project.posts()][:1] == ["Story newest"]
    assert {post["edition"] for post in project.posts()} == {
        next(post["edition"] for post in project.posts())
    }
    assert len(project.posts()) == 1 + 2 + 2  # headline, then two sections of each story

    again = project.run("digest", "--since", "7d")
    assert again.code == 0
    assert "log: no new stories in the last 7d; nothing to send" in again.err
    assert len(project.posts()) == 5

    _dated(project, "late", 3)
    third = project.run("digest", "--since", "7d")
    assert third.code == 0
    assert [post["text"] for post in project.posts()[5:]][:1] == ["Story late"]
    assert len(project.posts()) == 8


def test_digest_dry_run_json(project: Project) -> None:
    result = project.run("digest", "--since", "3650d", "--dry-run", "--json")
    assert result.code == 0
    [part, *_] = json.loads(result.out)["destinations"]["log"]["parts"]
    assert part["text"] == "Harbour Opens a Night Market"


def test_bad_since_is_refused(project: Project) -> None:
    result = project.run("digest", "--since", "a week")
    assert result.code == 2
    assert result.err.strip() == (
        "error: --since: 'a week' is not a duration such as 7d, 2w, 36h or 30s"
    )
    huge = project.run("digest", "--since", "99999999999d")
    assert huge.code == 2 and "is longer than the 36525d (100 years) a duration may be" in huge.err


def test_publish_by_id_finds_the_story_in_the_stories_folder(project: Project) -> None:
    for path in EXAMPLES.iterdir():
        (project.root / "stories" / path.name).write_bytes(path.read_bytes())
    result = project.run("publish", "--story", "tokyo-library-night", "--dry-run", "--json")
    assert result.code == 0, result.err
    parts = json.loads(result.out)["destinations"]["log"]["parts"]
    assert parts[0]["text"] == "東京の区立図書館、深夜開館を試行 📚🌙"
    missing = project.run("publish", "--story", "no-such-story")
    assert missing.code == 2
    assert "no story with id 'no-such-story' in" in missing.err


def test_version_and_help(project: Project) -> None:
    assert project.run("--version").out.startswith("publisher, version ")
    help_text = project.run("--help").out
    for command in ("story", "publish", "digest", "preview", "plugins", "status", "check", "init"):
        assert f"  {command} " in help_text


@pytest.mark.parametrize(("columns", "widest"), [("60", 58), ("0", 78), ("wide", 78)])
def test_help_is_as_wide_as_click_makes_it(
    project: Project, monkeypatch, columns: str, widest: int
) -> None:
    # As shutil.get_terminal_size reads COLUMNS: a positive number, else the terminal (none
    # here), else 80; click leaves two columns free. Words wrap a few short of the edge.
    monkeypatch.setenv("COLUMNS", columns)
    lines = project.run("--help").out.splitlines()
    assert widest - 8 < max(len(line) for line in lines) <= widest, lines
