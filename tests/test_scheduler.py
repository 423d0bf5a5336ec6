"""The scheduler: coalesced catch-up within the grace time, local time across DST, restarts.

The clock is moved with time-machine (the standard library's clock, not ours);
the scheduler itself is APScheduler's, running for real in a thread or process.
"""

from __future__ import annotations

import inspect
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.util import ref_to_obj

from publisher.jobs import STOP
from publisher.run_history import History
from publisher.scheduler import Scheduler
from publisher.workspace import Workspace
from support.project import STORY, Project, recorder_config

BERLIN = ZoneInfo("Europe/Berlin")


def config(cron: str = "0 8 * * mon", grace: str = "6h", **recorder: object) -> str:
    return (
        recorder_config(**recorder)
        + '\n[delivery]\nfirst_pause = "0s"\n'
        + f'\n[schedules.weekly]\ncron = "{cron}"\nsince = "7d"\nto = ["log"]\ngrace = "{grace}"\n'
    )


def add_story(project: Project, name: str, published: datetime) -> None:
    text = STORY.replace("2026-11-20T18:00:00+01:00", published.isoformat()).replace(
        "Harbour Opens a Night Market", f"Story {name}"
    )
    project.add_story(f"{name}.md", text)


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition was not met in time")


@pytest.fixture(autouse=True)
def _fresh_stop() -> Iterator[None]:
    STOP.clear()
    yield
    STOP.clear()


@contextmanager
def scheduler(project: Project) -> Iterator[Scheduler]:
    with Scheduler(Workspace.open(project.config)) as running:
        running.reconcile()
        running.resume_unfinished()
        yield running


def runs(project: Project) -> list[dict]:
    workspace = Workspace.open(project.config)
    return list(History(workspace.state.engine).last().values())


def headlines(project: Project) -> list[str]:
    return [post["text"] for post in project.posts() if post["text"].startswith("Story")]


@pytest.fixture
def weekly(project: Project) -> Project:
    (project.root / "stories" / "night-market.md").unlink()
    project.write_config(config())
    with time_machine.travel(datetime(2026, 11, 2, 7, 0, tzinfo=BERLIN)), scheduler(project):
        pass  # the schedule is stored: next run Monday 2 November, 08:00
    add_story(project, "late-november", datetime(2026, 11, 20, 18, 0, tzinfo=BERLIN))
    return project


def test_a_machine_off_for_three_mondays_sends_one_digest_within_the_grace_time(
    weekly: Project,
) -> None:
    with (
        time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)),
        scheduler(weekly) as running,
    ):
        running.jobs.resume()
        wait_for(lambda: bool(runs(weekly)))
        [entry] = list(running.entries())  # next due next week: no second run can come
    [run] = runs(weekly)
    assert run["outcome"] == "sent", run["message"]
    assert headlines(weekly) == ["Story late-november"]
    assert entry.next_run == datetime(2026, 11, 30, 8, 0, tzinfo=BERLIN)


def test_back_after_the_grace_time_sends_nothing_and_says_why(weekly: Project, caplog) -> None:
    logger = logging.getLogger("publisher.scheduler")
    logger.addHandler(caplog.handler)
    try:
        with (
            time_machine.travel(datetime(2026, 11, 23, 15, 30, tzinfo=BERLIN)),
            scheduler(weekly) as running,
        ):
            running.jobs.resume()
            wait_for(lambda: bool(runs(weekly)))
    finally:
        logger.removeHandler(caplog.handler)
    [run] = runs(weekly)
    assert run["outcome"] == "missed"
    assert headlines(weekly) == []
    said = caplog.text
    assert "the run due at 2026-11-23 08:00 CET was skipped: it is 7h 30m late" in said
    assert "more than the grace time of 6h; next run at 2026-11-30 08:00 CET" in said


def test_the_week_daylight_saving_ends_fires_once_at_local_time(project: Project) -> None:
    (project.root / "stories" / "night-market.md").unlink()
    project.write_config(config())
    with time_machine.travel(datetime(2026, 10, 19, 9, 0, tzinfo=BERLIN)), scheduler(project):
        pass
    add_story(project, "october", datetime(2026, 10, 22, 12, 0, tzinfo=BERLIN))

    # 07:30 local on Monday 26 October, the day after clocks went back: not yet.
    with (
        time_machine.travel(datetime(2026, 10, 26, 7, 30, tzinfo=BERLIN)),
        scheduler(project) as running,
    ):
        running.jobs.resume()
        [entry] = list(running.entries())  # not due: the scheduler runs only due jobs
    assert runs(project) == []
    assert entry.next_run == datetime(2026, 10, 26, 8, 0, tzinfo=BERLIN)
    assert entry.next_run.utcoffset() == timedelta(hours=1)

    with (
        time_machine.travel(datetime(2026, 10, 26, 8, 0, 1, tzinfo=BERLIN)),
        scheduler(project) as running,
    ):
        running.jobs.resume()
        wait_for(lambda: bool(runs(project)))
        [entry] = list(running.entries())
    [run] = runs(project)
    assert run["outcome"] == "sent"
    assert headlines(project) == ["Story october"]
    assert entry.next_run == datetime(2026, 11, 2, 8, 0, tzinfo=BERLIN)


def test_reconcile_adds_replaces_and_removes(project: Project) -> None:
    project.write_config(config())
    with scheduler(project) as running:
        assert running.reconcile() == []
    project.write_config(config(cron="30 7 * * fri"))
    with Scheduler(Workspace.open(project.config)) as running:
        assert running.reconcile() == ["replaced weekly"]
        [entry] = list(running.entries())
        assert entry.when == "At 07:30 AM, only on Friday (Europe/Berlin)"
        assert entry.next_run.weekday() == 4
    project.write_config(config().split("[schedules.weekly]")[0])
    with Scheduler(Workspace.open(project.config)) as running:
        assert running.reconcile() == ["removed weekly"]
        assert list(running.entries()) == []


def test_schedule_list_and_one_off_jobs_survive_a_restart(project: Project) -> None:
    project.write_config(config())
    scheduled = project.run("publish", "--story", "night-market", "--at", "2030-01-07T09:15")
    assert scheduled.code == 0, scheduled.err
    assert "Scheduled once:night-market:20300107T0915 for 2030-01-07 09:15 CET." in scheduled.out
    listed = project.run("schedule", "list")
    assert "At 08:00 AM, only on Monday" in listed.out
    assert "2030-01-07 09:15 CET" in listed.out and "never" in listed.out
    assert project.run("schedule", "cancel", "once:night-market:20300107T0915").code == 0
    assert "once:night-market" not in project.run("schedule", "list").out
    missing = project.run("schedule", "cancel", "once:nothing")
    assert missing.code == 2 and "no scheduled job 'once:nothing'" in missing.err


def test_publish_at_refuses_bad_input_and_the_past(project: Project) -> None:
    project.write_config(config())
    past = project.run("publish", "--story", "night-market", "--at", "2001-01-01T08:00")
    assert past.code == 2 and "--at 2001-01-01T08:00:00+01:00 is in the past" in past.err
    garbled = project.run("publish", "--story", "night-market", "--at", "tomorrow")
    assert garbled.code == 2 and "'tomorrow' is not a time such as" in garbled.err
    dry = project.run("publish", "--story", "night-market", "--at", "2030-01-07T09:15", "--dry-run")
    assert dry.code == 2 and "--at stores the publish for later" in dry.err
    bad = project.add_story("bad.md", "---\ndek: no headline\n---\n")
    refused = project.run("publish", "--story", str(bad), "--at", "2030-01-07T09:15")
    assert refused.code == 2 and "headline is missing" in refused.err
    assert "once:" not in project.run("schedule", "list").out


def test_a_one_off_job_publishes_when_its_time_comes(project: Project) -> None:
    project.write_config(config())
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)):
        assert (
            project.run("publish", "--story", "night-market", "--at", "2026-11-25T09:30").code == 0
        )
    with (
        time_machine.travel(datetime(2026, 11, 25, 9, 31, tzinfo=BERLIN)),
        scheduler(project) as running,
    ):
        running.jobs.resume()
        wait_for(lambda: len(project.posts()) == 3)
        wait_for(lambda: not [e for e in running.entries() if e.id.startswith("once:")])
    assert project.posts()[0]["text"] == "Harbour Opens a Night Market"


def test_a_one_off_job_stored_while_the_scheduler_runs_is_run(project: Project) -> None:
    project.write_config(config())
    with Scheduler(Workspace.open(project.config), poll=0.2) as running:
        running.reconcile()
        thread = threading.Thread(target=running.run)
        thread.start()
        try:
            soon = (datetime.now(BERLIN) + timedelta(seconds=2)).isoformat(timespec="seconds")
            stored = project.run("publish", "--story", "night-market", "--at", soon)
            assert stored.code == 0, stored.err
            wait_for(lambda: len(project.posts()) == 3)
        finally:
            STOP.set()
            thread.join(timeout=30)
    [run] = [r for r in runs(project) if r["job"].startswith("once:")]
    assert run["outcome"] == "sent"
    listed = project.run("schedule", "list").out
    assert "once:night-market" not in listed


def test_a_job_that_crashes_is_recorded_and_logged(project: Project, caplog) -> None:
    project.write_config(config(crash_in_render=True))
    with time_machine.travel(datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN)), scheduler(project):
        pass
    with (
        time_machine.travel(datetime(2026, 11, 23, 8, 0, 5, tzinfo=BERLIN)),
        scheduler(project) as running,
    ):
        running.jobs.resume()
        wait_for(lambda: bool(runs(project)))
    [run] = runs(project)
    assert run["outcome"] == "failed"
    assert run["message"] == "RuntimeError: the recorder's render has a bug"
    assert "schedule:weekly failed" in caplog.text
    assert "last run" in project.run("status").out and "RuntimeError" in project.run("status").out


def _spawn_scheduler(project: Project):
    process = project.spawn("schedule", "run")
    wait_for(lambda: (project.root / "state" / "publisher.db").exists())
    return process


@pytest.mark.slow
def test_a_scheduler_killed_mid_digest_finishes_it_after_a_restart(project: Project) -> None:
    (project.root / "stories" / "night-market.md").unlink()
    now = datetime.now(BERLIN)
    for days in (1, 2, 3):
        add_story(project, f"day-{days}", now - timedelta(days=days))
    project.write_config(config(cron="* * * * *", hang_at=4))
    with time_machine.travel(now - timedelta(minutes=2)), scheduler(project):
        pass  # stored with a run due a minute ago: it runs as soon as the scheduler starts

    first = _spawn_scheduler(project)
    try:
        wait_for(lambda: project.log.with_suffix(".ready").exists())
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
        first.communicate()
    assert len(project.posts()) == 3

    project.write_config(config(cron="* * * * *"))
    second = _spawn_scheduler(project)
    try:
        wait_for(lambda: len(project.posts()) == 7)
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=20)
    finally:
        second.kill()
    assert second.returncode == 0, err
    assert "finishing the digest weekly left undelivered" in out
    assert "Scheduler stopped" in out
    posts = project.posts()
    assert [post["id"] for post in posts] == [str(n) for n in range(1, 8)]
    assert posts[3]["reply_to"] == "3", "the part in flight at the kill replies to the one before"
    assert headlines(project) == ["Story day-1"]
    assert sum("Lanterns on the Quay" in post["text"] for post in posts) == 3


@pytest.mark.slow
def test_sigterm_stops_between_parts_and_the_next_start_finishes(project: Project) -> None:
    project.write_config(config(cron="* * * * *", delay=0.5))
    project.add_story(
        "night-market.md",
        STORY.replace("2026-11-20T18:00:00+01:00", datetime.now(BERLIN).isoformat()),
    )
    with time_machine.travel(datetime.now(BERLIN) - timedelta(minutes=2)), scheduler(project):
        pass
    process = _spawn_scheduler(project)
    try:
        wait_for(lambda: len(project.posts()) >= 1)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    sent = len(project.posts())
    assert 1 <= sent < 3
    status = project.run("status")
    assert "stopped" in status.out and f"{sent}/3" in status.out

    project.write_config(config(cron="* * * * *"))
    process = _spawn_scheduler(project)
    try:
        wait_for(lambda: len(project.posts()) == 3)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        process.kill()
    assert [post["id"] for post in project.posts()] == ["1", "2", "3"]


def _stop(process, how: int = signal.SIGTERM) -> tuple[str, str]:
    process.send_signal(how)
    try:
        return process.communicate(timeout=30)
    finally:
        process.kill()


@pytest.mark.slow
def test_a_one_off_job_killed_midway_stays_listed_until_the_next_start_finishes_it(
    project: Project,
) -> None:
    project.write_config(config(hang_at=2))
    at = datetime.now(BERLIN) + timedelta(seconds=2)
    stored = project.run("publish", "--story", "night-market", "--at", at.isoformat())
    assert stored.code == 0, stored.err
    job = stored.out.split()[1]
    wait_for(lambda: datetime.now(BERLIN) > at)

    first = _spawn_scheduler(project)
    try:
        wait_for(lambda: project.log.with_suffix(".ready").exists())
    finally:
        _stop(first, signal.SIGKILL)
    assert len(project.posts()) == 1
    listed = project.run("schedule", "list").out
    assert f"{job}: publish night-market.md" in listed
    assert "next run: unfinished; the next start of `publisher schedule run` finishes it" in listed
    status = project.run("status").out
    assert "interrupted" in status and "running" not in status
    assert f"job {job}: unfinished" in status

    project.write_config(config())
    second = _spawn_scheduler(project)
    try:
        wait_for(lambda: len(project.posts()) == 3)
        wait_for(lambda: job not in project.run("schedule", "list").out)
    finally:
        out, err = _stop(second)
    assert second.returncode == 0, err
    assert f"finishing the one-off job {job}" in out
    posts = project.posts()
    assert [post["id"] for post in posts] == ["1", "2", "3"]
    assert [post["reply_to"] for post in posts] == [None, "1", "2"]


@pytest.mark.slow
def test_a_stopped_publish_is_finished_by_the_next_start_of_the_scheduler(
    project: Project,
) -> None:
    project.write_config(config(delay=0.5))
    sender = project.spawn("publish", "--story", "night-market")
    try:
        wait_for(lambda: len(project.posts()) >= 1)
    finally:
        out, err = _stop(sender)
    assert sender.returncode == 143, err
    assert "log: stopped before part" in out
    assert "stopped by SIGTERM: log left unfinished; to send the rest, run" in err
    assert len(project.posts()) < 3

    project.write_config(config())
    scheduler_process = _spawn_scheduler(project)
    try:
        wait_for(lambda: len(project.posts()) == 3)
    finally:
        out, err = _stop(scheduler_process)
    assert scheduler_process.returncode == 0, err
    assert "finishing what runs left undelivered: story-night-market to log" in out
    assert [post["reply_to"] for post in project.posts()] == [None, "1", "2"]
    assert " done " in project.run("status").out


@pytest.mark.slow
def test_status_and_schedule_list_tell_the_same_last_run(project: Project) -> None:
    """The schedule's last run was the one that finished a digest it had left."""
    (project.root / "stories" / "night-market.md").unlink()
    add_story(project, "yesterday", datetime.now(BERLIN) - timedelta(days=1))
    project.write_config(config(delay=0.5))
    sender = project.spawn("digest", "--to", "log")
    try:
        wait_for(lambda: len(project.posts()) >= 1)
    finally:
        _, err = _stop(sender)
    assert sender.returncode == 143, err

    project.write_config(config())
    with scheduler(project) as running:
        running.jobs.resume()
        wait_for(lambda: bool(runs(project)))
    [run] = runs(project)
    assert (run["job"], run["outcome"]) == ("resume:weekly", "sent")
    status = next(line for line in project.run("status").out.splitlines() if "weekly" in line)
    listed = project.run("schedule", "list").out
    last = listed.split("last run: ")[1].strip()
    assert last.split(": ")[1] == "sent", listed
    assert status == f"schedule weekly: last run {last}"


# APScheduler stores each job's function as text ("module:function") beside its keyword
# arguments: users' databases hold these, so they stay as they are.
JOB_FUNCTIONS = {
    "publisher.scheduler:run_schedule": ["config", "root", "name", "resume_only"],
    "publisher.scheduler:run_publish": ["config", "root", "job", "story", "to", "force"],
    "publisher.scheduler:run_unfinished": ["config", "root", "publications"],
    "publisher.scheduler:run_bounces": ["config", "root"],
}


def test_the_job_functions_stored_in_users_databases_keep_their_names(project: Project) -> None:
    add_story(project, "recent", datetime.now(BERLIN) - timedelta(days=1))
    project.write_config(config(fail_at=2) + '\n[bounces]\nevery = "15m"\n')
    assert project.run("publish", "--story", "recent").code == 1  # left unfinished
    assert project.run("digest", "--to", "log").code == 1  # a digest left unfinished
    assert project.run("publish", "--story", "recent", "--at", "2030-01-07T09:15").code == 0
    with Scheduler(Workspace.open(project.config)) as running:
        running.reconcile()
        running.resume_unfinished()
        stored = running.jobs.get_jobs()
    assert {job.id for job in stored} == {
        "schedule:weekly",
        "resume:weekly",
        "bounces",
        "unfinished",
        "once:recent:20300107T0915",
    }
    assert {job.func_ref for job in stored} == set(JOB_FUNCTIONS)
    for job in stored:
        function = ref_to_obj(job.func_ref)
        assert list(inspect.signature(function).parameters) == JOB_FUNCTIONS[job.func_ref]
        inspect.signature(function).bind(**job.kwargs)  # what was stored still fits
