"""Whoever opens a workspace closes it: no connection to the state database outlives the
command or the scheduled job that opened it (a SQLite file stays open until then)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from publisher.jobs import run_publish, run_schedule
from support.project import Project, recorder_config

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="reads open files from Linux's /proc"
)

STATE = ("publisher.db", "publisher.db-wal", "publisher.db-shm")


def open_state_files(project: Project) -> list[str]:
    """The state database's files this process holds open, as the kernel lists them."""
    folder = project.root / "state"
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:  # closed while listed
            continue
        if target.parent == folder and target.name in STATE:
            held.append(target.name)
    return held


def test_a_command_closes_the_state_database_it_opened(project: Project) -> None:
    assert project.run("publish", "--story", "night-market").code == 0
    status = project.run("status")
    assert status.code == 0 and "story-night-market" in status.out
    gc.disable()  # what the garbage collector would close is still open when nothing closes it
    try:
        assert project.run("status").code == 0
        assert open_state_files(project) == []
    finally:
        gc.enable()


def test_a_scheduled_job_closes_the_state_database_it_opened(project: Project) -> None:
    project.write_config(
        recorder_config() + '\n[schedules.weekly]\ncron = "0 8 * * mon"\nsince = "3650d"\n'
    )
    gc.disable()
    try:
        run_publish(str(project.config), str(project.root), "once-1", "night-market", None, False)
        assert open_state_files(project) == []
        run_schedule(str(project.config), str(project.root), "weekly")
        assert open_state_files(project) == []
    finally:
        gc.enable()
    assert project.posts()[0]["text"] == "Harbour Opens a Night Market"
    assert "story-night-market" in project.run("status").out
