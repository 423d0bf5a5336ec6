"""The running scheduler (`publisher schedule run`): APScheduler with the state database's job
store, the configured cron schedules, the `[bounces]` job, and finishing at start what
runs left unfinished.

Runs coalesce: a machine that was off sends once when it is back within the
grace time, and logs why when it is back too late. Whatever a run left
unfinished (a digest, a one-off job, a `publish` stopped or killed) is
completed at the next start, before anything new; a one-off job stays in the
job store, paused, until its publication is done.

The job functions live in jobs.py; they are imported here because
APScheduler stores them by these names (`publisher.scheduler:run_publish`),
and users' databases hold them.
"""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from publisher.config import parse_duration
from publisher.edition import single
from publisher.errors import PublisherError
from publisher.job_book import BOUNCES, ONCE, RESUME, SCHEDULE, UNFINISHED, Entry, entries, location
from publisher.jobs import STOP, run_bounces, run_publish, run_schedule, run_unfinished
from publisher.run_history import History
from publisher.workspace import Workspace

__all__ = ["Scheduler", "run_bounces", "run_publish", "run_schedule", "run_unfinished"]

log = logging.getLogger(__name__)


class _Jobs(BackgroundScheduler):
    """APScheduler's scheduler, except that stopping it never starts a job that is due, and
    a one-off job is kept until its publication is done.

    Its loop runs the due jobs once more as it stops, to executors that are
    already shut down, and moves those jobs' next run on: the run would be
    lost. Here it stays due, for the next start to run (or coalesce). And the
    loop removes a one-off job as soon as it starts it: a run stopped or killed
    midway would leave nothing to finish it. Here it is paused instead, and its
    run removes it once the publication is done.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._in_loop = threading.local()

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        self._in_loop.active = True
        try:
            return super()._process_jobs()
        finally:
            self._in_loop.active = False

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        if job_id.startswith(ONCE) and getattr(self._in_loop, "active", False):
            with suppress(JobLookupError):  # its run already finished and removed it
                self.pause_job(job_id, jobstore)
            return
        super().remove_job(job_id, jobstore)


class Scheduler:
    """Runs the configured schedules and one-off jobs from the state database's job store."""

    def __init__(self, workspace: Workspace, poll: float = 30.0) -> None:
        self.workspace = workspace
        self.zone = workspace.config.site.zone
        self.poll = poll  # how often to look for jobs that other processes stored
        self.history = History(workspace.state.engine)
        self.jobs = _Jobs(
            jobstores={"default": SQLAlchemyJobStore(engine=workspace.state.engine)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.zone,
        )
        self.jobs.add_listener(self._missed, EVENT_JOB_MISSED)
        self.location = location(workspace)

    def __enter__(self) -> Scheduler:
        """Open the job store, paused: nothing runs before `run`."""
        self.jobs.start(paused=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.jobs.running:
            self.jobs.shutdown(wait=True)

    def reconcile(self) -> list[str]:
        """Make the stored schedules match the configuration; say what changed."""
        changes = []
        stored = {job.id: job for job in self.jobs.get_jobs() if job.id.startswith(SCHEDULE)}
        for name, schedule in self.workspace.config.schedules.items():
            job_id = f"{SCHEDULE}{name}"
            trigger = CronTrigger.from_crontab(schedule.cron, timezone=self.zone)
            kwargs = {**self.location, "name": name}
            grace = int(parse_duration(schedule.grace).total_seconds())
            job = stored.pop(job_id, None)
            if job is None:
                self.jobs.add_job(
                    "publisher.scheduler:run_schedule",
                    trigger,
                    id=job_id,
                    name=name,
                    kwargs=kwargs,
                    misfire_grace_time=grace,
                )
                changes.append(f"added {name}")
                continue
            same_trigger = (str(job.trigger), str(job.trigger.timezone)) == (
                str(trigger),
                str(trigger.timezone),
            )
            if same_trigger and (job.kwargs, job.misfire_grace_time) == (kwargs, grace):
                continue  # unchanged: it keeps its next run time, even a missed one
            self.jobs.modify_job(job_id, kwargs=kwargs, misfire_grace_time=grace)
            if not same_trigger:
                self.jobs.reschedule_job(job_id, trigger=trigger)
            changes.append(f"replaced {name}")
        for job_id in stored:
            self.jobs.remove_job(job_id)
            changes.append(f"removed {job_id.removeprefix(SCHEDULE)}")
        return changes + self._reconcile_bounces()

    def _reconcile_bounces(self) -> list[str]:
        """The `[bounces]` job, made to match the configuration."""
        every = self.workspace.config.bounces.every
        job = self.jobs.get_job(BOUNCES)
        if every is None:
            if job is not None:
                self.jobs.remove_job(BOUNCES)
                return ["removed bounces"]
            return []
        seconds = parse_duration(every).total_seconds()
        trigger = IntervalTrigger(seconds=seconds, timezone=self.zone)
        if job is not None and (str(job.trigger), job.kwargs) == (str(trigger), self.location):
            return []
        self.jobs.add_job(
            "publisher.scheduler:run_bounces",
            trigger,
            id=BOUNCES,
            name="read the bounce mailboxes",
            kwargs=self.location,
            replace_existing=True,
            misfire_grace_time=None,  # late is better than never; coalesced to one run
        )
        return [f"{'replaced' if job else 'added'} bounces (every {every})"]

    def resume_unfinished(self) -> list[str]:
        """Queue, to run at once, everything a run left undelivered; say what.

        One-off jobs that ran without finishing run again; schedules finish
        their half-delivered digests; the `unfinished` job finishes the rest
        (stories and digests that `publish` and `digest` runs left).
        """
        said = []
        now = datetime.now(self.zone)
        one_off_editions: set[str | None] = set()
        for job in self.jobs.get_jobs():
            if job.id.startswith(ONCE) and job.next_run_time is None:
                # Never --force again: that would start yet another round of it.
                self.jobs.modify_job(
                    job.id, next_run_time=now, kwargs={**job.kwargs, "force": False}
                )
                one_off_editions.add(self._edition_of(job))
                said.append(f"finishing the one-off job {job.id}")
        scheduled_destinations: set[str] = set()
        for name, schedule in self.workspace.config.schedules.items():
            destinations = self.workspace.destinations(schedule.to or None)
            scheduled_destinations.update(d.name for d in destinations)
            if any(self.workspace.ledger.unfinished(d.name) for d in destinations):
                self.jobs.add_job(
                    "publisher.scheduler:run_schedule",
                    DateTrigger(now, timezone=self.zone),
                    id=f"{RESUME}{name}",
                    name=f"finish {name}",
                    kwargs={**self.location, "name": name, "resume_only": True},
                    replace_existing=True,
                    misfire_grace_time=None,
                )
                said.append(f"finishing the digest {name} left undelivered")
        left = [
            [unfinished.edition_id, unfinished.destination]
            for unfinished in self.workspace.ledger.all_unfinished()
            if not (unfinished.kind == "story" and unfinished.edition_id in one_off_editions)
            and not (
                unfinished.kind == "digest" and unfinished.destination in scheduled_destinations
            )
        ]
        if left:
            self.jobs.add_job(
                "publisher.scheduler:run_unfinished",
                DateTrigger(now, timezone=self.zone),
                id=UNFINISHED,
                name="finish what runs left undelivered",
                kwargs={**self.location, "publications": left},
                replace_existing=True,
                misfire_grace_time=None,
            )
            listed = ", ".join(f"{edition} to {destination}" for edition, destination in left)
            said.append(f"finishing what runs left undelivered: {listed}")
        return said

    def _edition_of(self, job: Job) -> str | None:
        """The edition a one-off job publishes, or None if its story cannot be read now."""
        try:
            return single(self.workspace.load_story(Path(job.kwargs["story"])).story).id
        except (PublisherError, KeyError):
            return None

    def run(self) -> None:
        """Run jobs until STOP is set; a delivery under way stops at its next safe point.

        The main thread stays free for signals, and wakes the scheduler every
        `poll` seconds so that jobs stored by other processes (`publish --at`)
        are seen without waiting for the next scheduled one.
        """
        self.jobs.resume()
        while not STOP.wait(self.poll):
            self.jobs.wakeup()
        self.jobs.shutdown(wait=True)

    def entries(self) -> list[Entry]:
        return entries(self.workspace, self.history, self.jobs.get_jobs())

    def _missed(self, event: JobExecutionEvent) -> None:
        """Say why a run did not happen: the machine was back after the grace time."""
        job = self.jobs.get_job(event.job_id)
        grace = timedelta(seconds=job.misfire_grace_time) if job else None
        due = event.scheduled_run_time.astimezone(self.zone)
        now = datetime.now(self.zone)
        message = (
            f"the run due at {due:%Y-%m-%d %H:%M %Z} was skipped: it is {_words(now - due)} late, "
            f"more than the grace time of {_words(grace) if grace else 'none'}"
        )
        following = job.trigger.get_next_fire_time(None, now) if job else None
        if following:
            message += f"; next run at {following.astimezone(self.zone):%Y-%m-%d %H:%M %Z}"
        log.warning("%s: %s", event.job_id.removeprefix(SCHEDULE), message)
        self.history.record(event.job_id, datetime.now(UTC), "missed", message)
        if event.job_id.startswith(ONCE):  # skipped for good: it is not kept to be finished
            with suppress(JobLookupError):
                self.jobs.remove_job(event.job_id)


def _words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" * bool(days), f"{hours}h" * bool(hours), f"{minutes}m" * bool(minutes)]
    return " ".join(p for p in parts if p) or "under a minute"
