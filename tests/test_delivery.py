"""Ledger-backed delivery: nothing twice, nothing lost, resume where a run stopped."""

from __future__ import annotations

import re
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select

from publisher.edition import single
from publisher.ledger import publications
from publisher.retry import RetryPolicy
from publisher.workspace import Workspace
from support.project import Project, recorder_config

STORY = "night-market"


def quick_workspace(project: Project, attempts: int, sleep=lambda seconds: None) -> Workspace:
    """The project's workspace with its own retry policy and clock."""
    opened = Workspace.open(project.config)
    return Workspace(opened.config, opened.plugins, RetryPolicy(attempts=attempts), sleep)


def test_publish_sends_every_part_chained(project: Project) -> None:
    result = project.run("publish", "--story", STORY)
    assert result.code == 0, result.err
    assert result.out.strip() == "log: sent 3 parts: https://recorder.example/1"
    posts = project.posts()
    assert [post["text"] for post in posts] == [
        "Harbour Opens a Night Market",
        "Lanterns on the Quay: Forty stalls opened on the first Friday.",
        "Who Runs It: A cooperative of twelve families.",
    ]
    assert [post["reply_to"] for post in posts] == [None, "1", "2"]


def test_publishing_twice_is_skipped_and_says_so(project: Project) -> None:
    assert project.run("publish", "--story", STORY).code == 0
    again = project.run("publish", "--story", STORY)
    assert again.code == 0
    assert "log: skipped already published on" in again.out
    assert "--force sends it again" in again.out
    assert len(project.posts()) == 3


def test_already_published_says_when_in_the_sites_timezone_as_status_does(
    project: Project,
) -> None:
    assert project.run("publish", "--story", STORY).code == 0
    said = re.search(r"already published on (\S+ \S+) (\S+);", project.run(*PUBLISH_AGAIN).out)
    assert said is not None and said.group(2) in ("CET", "CEST")  # the site is Europe/Berlin
    berlin = datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    when = datetime.strptime(said.group(1), "%Y-%m-%d %H:%M")
    assert abs(berlin - when) < timedelta(minutes=2)
    status = project.run("status").out
    assert "started (Europe/Berlin)" in status and said.group(1)[:13] in status


PUBLISH_AGAIN = ("publish", "--story", STORY)


def test_force_publishes_again_as_a_new_round(project: Project) -> None:
    assert project.run("publish", "--story", STORY).code == 0
    forced = project.run("publish", "--story", STORY, "--force")
    assert forced.code == 0, forced.err
    assert len(project.posts()) == 6
    assert [post["reply_to"] for post in project.posts()[3:]] == [None, "4", "5"]


def test_a_failed_part_resumes_on_the_next_run(project: Project) -> None:
    project.write_config(recorder_config(fail_at=3))
    failed = project.run("publish", "--story", STORY)
    assert failed.code == 1
    assert "log: failed part 3 of 3: the server refused part 3" in failed.out
    assert "1 destination failed: log (run it again to resume where it stopped)" in failed.err
    assert len(project.posts()) == 2

    project.write_config(recorder_config())
    resumed = project.run("publish", "--story", STORY)
    assert resumed.code == 0, resumed.err
    posts = project.posts()
    assert [post["text"][:12] for post in posts] == ["Harbour Open", "Lanterns on ", "Who Runs It:"]
    assert posts[2]["reply_to"] == posts[1]["id"], "part 3 replies to part 2 of the first run"

    status = project.run("status")
    assert "done" in status.out and "3/3" in status.out


def test_status_lists_the_failure_until_it_is_resolved(project: Project) -> None:
    project.write_config(recorder_config(fail_at=2))
    project.run("publish", "--story", STORY)
    status = project.run("status")
    assert "failed" in status.out
    assert "1/3" in status.out
    assert "the server refused part 2" in status.out


def test_passing_failures_are_retried_with_backoff(project: Project) -> None:
    project.write_config(recorder_config(flaky_at=2, flaky_times=2))
    pauses: list[float] = []
    workspace = quick_workspace(project, 4, pauses.append)
    edition = single(workspace.find_story(STORY).story)
    [outcome] = workspace.publish([(workspace.destinations()[0], edition)])
    assert outcome.status == "sent", outcome.message
    assert len(project.posts()) == 3
    assert len(pauses) == 2
    assert 1.0 <= pauses[0] <= 2.0 and 2.0 <= pauses[1] <= 4.0, pauses


def test_retries_are_bounded(project: Project) -> None:
    project.write_config(recorder_config(flaky_at=1, flaky_times=10))
    workspace = quick_workspace(project, 3)
    edition = single(workspace.find_story(STORY).story)
    [outcome] = workspace.publish([(workspace.destinations()[0], edition)])
    assert outcome.status == "failed"
    assert "server error 503 on part 1 (gave up after 3 attempts)" in outcome.message
    assert project.posts() == []


def test_a_part_that_went_out_unanswered_is_recovered_not_resent(project: Project) -> None:
    project.write_config(recorder_config(lose_answer_at=2, honour_keys=False))
    workspace = quick_workspace(project, 1)
    edition = single(workspace.find_story(STORY).story)
    [outcome] = workspace.publish([(workspace.destinations()[0], edition)])
    assert outcome.status == "failed"
    assert len(project.posts()) == 2, "part 2 reached the server, its answer did not"

    project.write_config(recorder_config(honour_keys=False))
    resumed = project.run("publish", "--story", STORY)
    assert resumed.code == 0, resumed.err
    posts = project.posts()
    assert [post["id"] for post in posts] == ["1", "2", "3"]
    assert posts[2]["reply_to"] == "2"


def _wait_for(path: Path, process) -> None:
    for _ in range(600):
        if path.exists():
            return
        if process.poll() is not None:
            raise AssertionError(f"publisher exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.slow
def test_a_killed_run_resumes_at_the_part_in_flight(project: Project) -> None:
    project.write_config(recorder_config(hang_at=3))
    process = project.spawn("publish", "--story", STORY)
    try:
        _wait_for(project.log.with_suffix(".ready"), process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert len(project.posts()) == 2
    status = project.run("status").out  # the process is gone: nothing is delivering it
    assert "interrupted" in status and "running" not in status
    assert "the run that was delivering it is gone" in status

    project.write_config(recorder_config())
    resumed = project.run("publish", "--story", STORY)
    assert resumed.code == 0, resumed.err
    posts = project.posts()
    assert [post["id"] for post in posts] == ["1", "2", "3"]
    assert posts[2]["reply_to"] == "2"
    assert project.run("publish", "--story", STORY).out.startswith("log: skipped")


def test_a_stop_during_a_retry_pause_stops_without_trying_again(project: Project) -> None:
    project.write_config(recorder_config(flaky_at=2, flaky_times=10))
    stop = threading.Event()
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # the signal arrives while the run waits to retry
        pauses.append(seconds)
        stop.set()

    workspace = quick_workspace(project, 4, pause)
    edition = single(workspace.find_story(STORY).story)
    [outcome] = workspace.publish([(workspace.destinations()[0], edition)], stop=stop)

    assert (outcome.status, outcome.message) == (
        "stopped",
        "part 2 of 3: server error 503 on part 2",
    )
    assert len(pauses) == 1
    assert len(project.posts()) == 1
    assert "stopped" in project.run("status").out


def test_a_run_waiting_out_a_rate_limit_keeps_renewing_its_hold(project: Project) -> None:
    """Another machine takes a publication over when its run has been silent for 15 minutes:
    a run waiting out a long rate limit says it is alive at least once a minute."""
    project.write_config(recorder_config(limited_at=2, retry_after=200))
    engine = create_engine(f"sqlite:///{project.root / 'state' / 'publisher.db'}")
    beats: list[tuple[float, datetime]] = []

    def pause(seconds: float) -> None:  # the run waits; what does the ledger say meanwhile?
        with engine.connect() as db:
            beats.append((seconds, db.scalar(select(publications.c.heartbeat))))

    workspace = quick_workspace(project, 3, pause)
    edition = single(workspace.find_story(STORY).story)
    [outcome] = workspace.publish([(workspace.destinations()[0], edition)])
    engine.dispose()

    assert outcome.status == "sent", outcome.message
    assert sum(seconds for seconds, _ in beats) == 200, "the whole wait is waited"
    assert all(seconds <= 60 for seconds, _ in beats), beats
    heartbeats = [beat for _, beat in beats]
    assert heartbeats == sorted(set(heartbeats)), "renewed after every minute of waiting"
