"""The story index: a run parses only new and changed files, and a digest only its window's
stories; the index is a cache that never serves a file as it was before a change.

How many files a run parses is seen by a throw-away loader plugin that counts every call of
`publisher_load_story` (it reads nothing itself, so the built-in loaders still do the work).
Files just written are not trusted by the index for RACY nanoseconds (their timestamps may
not yet tell a rewrite apart), so tests that count wait that long first.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import Channel, hookimpl
from publisher.plugins import load_plugins
from publisher.social import SocialSettings
from publisher.story_index import RACY
from publisher.workspace import Workspace
from support.project import Project

BERLIN = ZoneInfo("Europe/Berlin")


class Counter:
    """Counts the files parsed; claims none."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    @hookimpl
    def publisher_load_story(self, path):
        self.parsed.append(path.name)


def _story(headline: str, published: datetime, **more: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in more.items())
    return (
        f"---\nheadline: {headline}\npublished: {published.isoformat()}\n{extra}---\n\n"
        "## What happened\n\nSomething happened.\n"
    )


def _archive(project: Project, old: int, recent: int) -> list[Path]:
    """`old` stories from months ago and `recent` from this week, night-market.md aside."""
    (project.root / "stories" / "night-market.md").unlink()
    now = datetime.now(BERLIN)
    paths = [
        project.add_story(f"old-{n:03d}.md", _story(f"Old {n:03d}", now - timedelta(days=60 + n)))
        for n in range(old)
    ]
    paths += [
        project.add_story(f"new-{n}.md", _story(f"New {n}", now - timedelta(days=1, hours=n)))
        for n in range(recent)
    ]
    return paths


def _wait_out_racy() -> None:
    time.sleep(RACY / 1e9 + 0.2)


def _digest(project: Project, counter: Counter | None = None) -> list[str]:
    """The headlines of this week's digest, from a fresh workspace as each run has."""
    plugins = load_plugins(extra=[counter] if counter else [])
    workspace = Workspace.open(project.config, plugins=plugins)
    plan, _, _ = workspace.plan_digest(None, datetime.now(BERLIN), timedelta(days=7))
    return sorted(story.headline for _, edition in plan for story in edition.stories)


def _dry_run(project: Project) -> tuple[int, str, str]:
    result = project.run("digest", "--since", "7d", "--dry-run", "--json")
    return result.code, result.out, result.err


@pytest.mark.slow
def test_a_digest_parses_new_and_changed_files_and_the_stories_of_its_window(project):
    paths = _archive(project, old=30, recent=3)
    _wait_out_racy()

    first = Counter()
    assert _digest(project, first) == ["New 0", "New 1", "New 2"]
    assert len(first.parsed) == 33 + 3  # every file to index it, then the window's in full

    second = Counter()
    assert _digest(project, second) == ["New 0", "New 1", "New 2"]
    assert sorted(second.parsed) == ["new-0.md", "new-1.md", "new-2.md"]

    # An old story moved into this week, and a new file: only those two are parsed again.
    moved = _story("Old 007", datetime.now(BERLIN) - timedelta(hours=5))
    paths[7].write_text(moved, encoding="utf-8")
    project.add_story("new-3.md", _story("New 3", datetime.now(BERLIN) - timedelta(hours=2)))
    third = Counter()
    assert _digest(project, third) == ["New 0", "New 1", "New 2", "New 3", "Old 007"]
    assert sorted(set(third.parsed)) == sorted(
        ["old-007.md", "new-3.md", "new-0.md", "new-1.md", "new-2.md"]
    )


def test_deleting_the_index_changes_nothing_but_the_time(project):
    _archive(project, old=5, recent=2)
    project.add_story("broken.md", "---\nheadline: H\nfaq:\n  - q: Why?\n---\n")
    before = _dry_run(project)
    assert before[0] == 0, before[2]
    assert "broken.md:4: faq entry 1, answer is missing" in before[2]
    state = project.root / "state" / "publisher.db"
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM story_index").fetchone()[0] == 8
        db.execute("DELETE FROM story_index")
    assert _dry_run(project) == before
    assert _dry_run(project) == before  # and from the index made again


def _rewrite_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    status = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (status.st_size, status.st_mtime_ns)


def _moved_into_this_week(project: Project) -> tuple[Path, str, str]:
    """A story of months ago, and the text of its date and of a date in this week."""
    long_ago = datetime.now(BERLIN) - timedelta(days=90)
    recent = datetime.now(BERLIN) - timedelta(hours=3)
    path = project.add_story("fares.md", _story("Ferry Fares Rise", long_ago, id="ferries"))
    return path, long_ago.isoformat(), recent.isoformat()


def test_a_file_rewritten_at_once_with_its_size_and_time_is_read_again(project):
    """Within one clock tick a rewrite may leave every timestamp as it was: a file changed
    so soon before it was indexed is not trusted, and its changes are seen."""
    path, long_ago, recent = _moved_into_this_week(project)
    assert "Ferry Fares Rise" not in _dry_run(project)[1]
    _rewrite_keeping_size_and_mtime(path, long_ago, recent)
    assert "Ferry Fares Rise" in _dry_run(project)[1]
    _rewrite_keeping_size_and_mtime(path, "id: ferries", "id: boating")
    assert project.run("publish", "--story", "boating", "--dry-run").code == 0


@pytest.mark.slow
def test_a_file_changed_later_with_its_size_and_time_is_read_again(project):
    path, long_ago, recent = _moved_into_this_week(project)
    _wait_out_racy()
    assert "Ferry Fares Rise" not in _dry_run(project)[1]
    _wait_out_racy()  # the row is trusted now: only the change time and inode tell
    _rewrite_keeping_size_and_mtime(path, long_ago, recent)
    assert "Ferry Fares Rise" in _dry_run(project)[1]

    # Replaced by another file (a new inode) with the same size and times.
    _wait_out_racy()
    assert project.run("publish", "--story", "ferries", "--dry-run").code == 0
    status = path.stat()
    replacement = path.with_name("replacement.tmp")
    text = path.read_text(encoding="utf-8").replace("id: ferries", "id: boating")
    replacement.write_text(text, encoding="utf-8")
    os.utime(replacement, ns=(status.st_atime_ns, status.st_mtime_ns))
    replacement.replace(path)
    assert project.run("publish", "--story", "boating", "--dry-run").code == 0
    assert project.run("publish", "--story", "ferries", "--dry-run").code == 2


def test_removed_and_renamed_files_are_never_served_from_the_index(project):
    _archive(project, old=3, recent=2)
    assert _digest(project) == ["New 0", "New 1"]
    (project.root / "stories" / "new-0.md").unlink()
    assert _digest(project) == ["New 1"]

    (project.root / "stories" / "new-1.md").rename(project.root / "stories" / "moved.md")
    assert _digest(project) == ["New 1"]
    found = project.run("publish", "--story", "moved", "--dry-run", "--json")
    assert found.code == 0, found.err
    gone = project.run("publish", "--story", "new-1", "--dry-run")
    assert gone.code == 2
    assert "no story with id 'new-1'" in gone.err


def test_publish_by_id_finds_a_file_whose_name_is_not_its_id(project):
    project.add_story(
        "2026-11-30-ferries.md", _story("Ferries", datetime.now(BERLIN), id="ferries")
    )
    for _ in range(2):  # from the files, then from the index
        result = project.run("publish", "--story", "ferries", "--dry-run", "--json")
        assert result.code == 0, result.err
        assert json.loads(result.out)["destinations"]["log"]["parts"][0]["text"] == "Ferries"


def test_bad_files_and_shared_ids_are_reported_from_the_index_as_when_parsed(project):
    broken = project.add_story("broken.md", "---\nheadline: H\nfaq:\n  - q: Why?\n---\n")
    twin = _story("Twin", datetime.now(BERLIN), id="twin")
    first, second = project.add_story("a.md", twin), project.add_story("b.md", twin)
    shared = f"{first}:4: the id 'twin' is also the id of {second}"
    for _ in range(2):
        check = project.run("check")
        assert check.code == 2
        assert f"bad story {broken}:4: faq entry 1, answer is missing" in check.out
        assert f"bad story {shared}" in check.out
        digest = project.run("digest", "--since", "7d", "--dry-run")
        assert f"left out of the digest: {broken}:4: faq entry 1, answer is missing" in digest.err
        assert f"left out of the digest: {shared}" in digest.err
        publish = project.run("publish", "--story", "twin", "--dry-run")
        assert publish.code == 2
        assert publish.err.strip() == f"error: {shared}: give each story its own id"


def test_a_change_of_timezone_reads_every_file_again(project):
    """A date without a time is midnight in the site's timezone: the index keeps no time
    worked out under other settings."""
    today = datetime.now(BERLIN).date()
    project.add_story("dated.md", f"---\nheadline: Dated\npublished: {today}\n---\n\n## A\n\nB.\n")
    midnight = datetime.combine(today, dt_time())
    workspace = Workspace.open(project.config, plugins=load_plugins())
    assert workspace.find_story("dated").story.published == midnight.replace(tzinfo=BERLIN)
    project.config.write_text(
        project.config.read_text("utf-8").replace("Europe/Berlin", "Asia/Tokyo"), "utf-8"
    )
    counter = Counter()
    workspace = Workspace.open(project.config, plugins=load_plugins(extra=[counter]))
    tokyo = ZoneInfo("Asia/Tokyo")
    assert workspace.find_story("dated").story.published == midnight.replace(tzinfo=tokyo)
    assert workspace.story_problems == []
    assert sorted(set(counter.parsed)) == ["dated.md", "night-market.md"]


class Pigeon(Channel):
    """A social channel a test installs: it takes hand-written posts."""

    name = "pigeon"
    settings_model = SocialSettings


class PigeonPlugin:
    @hookimpl
    def publisher_register_channels(self, register):
        register(Pigeon)


def test_installing_a_channel_or_changing_destinations_parses_the_stories_again(project):
    pigeon = _story("Carried by Pigeon", datetime.now(BERLIN), posts='{pigeon: ["Coo."]}')
    project.add_story("pigeon.md", pigeon)
    assert project.run("db", "upgrade").code == 0  # a state database, to keep the index in
    _wait_out_racy()

    def problems(*extra) -> list[str]:
        workspace = Workspace.open(project.config, plugins=load_plugins(extra=extra))
        with workspace:
            return [error.reason for error in workspace.story_problems]

    unknown = "story 'pigeon': posts.pigeon: 'pigeon' is not a channel"
    [refused] = problems()
    assert refused.startswith(unknown)
    assert problems(PigeonPlugin()) == [], "with the channel installed, its posts are fine"
    assert problems()[0].startswith(unknown)

    project.write_config(
        project.config.read_text("utf-8") + '\n[destinations.pigeon]\nchannel = "recorder"\n'
        f'path = "{project.root / "remote" / "pigeon.jsonl"}"\n'
    )
    [named] = problems()
    assert "'pigeon' is a destination (a recorder one), not a channel" in named
