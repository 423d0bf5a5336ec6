"""The job book: the jobs stored in the state database, read and changed without running any.

`publish --at` stores a one-off job here, `schedule list` and `status` read
every job with its next and last run, `schedule cancel` removes one. The
running scheduler (scheduler.py) reads the same job store.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from cron_descriptor import get_description

from publisher.errors import InputError
from publisher.run_history import History
from publisher.workspace import Workspace

SCHEDULE = "schedule:"  # job ids: schedule:NAME, resume:NAME, once:STORY:TIME, unfinished
RESUME = "resume:"
ONCE = "once:"
UNFINISHED = "unfinished"  # finishes what `publish` and `digest` runs left undelivered
BOUNCES = "bounces"  # the job that reads bounce mailboxes, from `[bounces] every`
ONCE_GRACE = timedelta(hours=6)  # a one-off publish missed by more than this is skipped


@dataclass(frozen=True)
class Entry:
    """One scheduled job, as `schedule list` and `status` show it."""

    id: str
    what: str
    when: str
    next_run: datetime | None
    last_run: datetime | None
    outcome: str | None
    unfinished: bool = False  # a one-off job that ran and whose publication is not done


class JobBook:
    """The jobs stored in the state database, read and changed without running any of them."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.zone = workspace.config.site.zone
        self.history = History(workspace.state.engine)
        self._owner = BackgroundScheduler(timezone=self.zone)  # never started: jobs need one
        self.store = SQLAlchemyJobStore(engine=workspace.state.engine)
        self.store.start(self._owner, "default")

    def once(self, story: Path, at: datetime, to: list[str] | None, force: bool) -> str:
        """Store a one-off publish of `story` at `at`; the job survives restarts."""
        if at <= datetime.now(self.zone):
            raise InputError(f"--at {at.isoformat()} is in the past")
        job_id = f"{ONCE}{story.stem}:{at:%Y%m%dT%H%M}"
        trigger = DateTrigger(at, timezone=self.zone)
        kwargs = {**location(self.workspace), "job": job_id, "story": str(story.resolve())}
        job = Job(
            self._owner,
            id=job_id,
            func="publisher.scheduler:run_publish",
            trigger=trigger,
            executor="default",
            args=(),
            kwargs={**kwargs, "to": to, "force": force},
            name=f"publish {story.name}",
            misfire_grace_time=int(ONCE_GRACE.total_seconds()),
            coalesce=True,
            max_instances=1,
            next_run_time=trigger.get_next_fire_time(None, datetime.now(self.zone)),
        )
        try:
            self.store.add_job(job)
        except ConflictingIdError:
            self.store.update_job(job)
        return job_id

    def cancel(self, job_id: str) -> None:
        try:
            self.store.remove_job(job_id)
        except JobLookupError:
            known = ", ".join(job.id for job in self.store.get_all_jobs()) or "none"
            raise InputError(f"no scheduled job '{job_id}' (scheduled: {known})") from None

    def forget(self, job_id: str) -> None:
        """Remove a one-off job whose publication is done (unless it was cancelled meanwhile)."""
        with suppress(JobLookupError):
            self.store.remove_job(job_id)

    def entries(self) -> list[Entry]:
        """Every configured schedule and stored job: when it runs, its next and last run."""
        return entries(self.workspace, self.history, self.store.get_all_jobs())


def location(workspace: Workspace) -> dict[str, str | None]:
    """Where a job finds its configuration when it runs, in another process."""
    config = workspace.config
    return {
        "config": str(config.path.resolve()) if config.path else None,
        "root": str(config.root),
    }


def entries(workspace: Workspace, history: History, jobs: list[Job]) -> list[Entry]:
    zone = workspace.config.site.zone
    last = history.last()
    stored = {job.id: job for job in jobs}
    entries = []
    for name, schedule in workspace.config.schedules.items():
        job = stored.pop(f"{SCHEDULE}{name}", None)
        trigger = CronTrigger.from_crontab(schedule.cron, timezone=zone)
        upcoming = (
            job.next_run_time if job else trigger.get_next_fire_time(None, datetime.now(zone))
        )
        done = _latest(last, f"{SCHEDULE}{name}", f"{RESUME}{name}")
        entries.append(
            Entry(
                f"{SCHEDULE}{name}",
                f"digest to {', '.join(schedule.to) if schedule.to else 'every destination'}",
                f"{get_description(schedule.cron)} ({zone.key})",
                upcoming.astimezone(zone) if upcoming else None,
                done["started_at"] if done else None,
                f"{done['outcome']}: {done['message']}" if done else None,
            )
        )
    bounces = stored.pop(BOUNCES, None)
    if workspace.config.bounces.every:
        done = last.get(BOUNCES)
        entries.append(
            Entry(
                BOUNCES,
                "read the bounce mailboxes",
                f"every {workspace.config.bounces.every}",
                bounces.next_run_time.astimezone(zone)
                if bounces and bounces.next_run_time
                else None,
                done["started_at"] if done else None,
                f"{done['outcome']}: {done['message']}" if done else None,
            )
        )
    for job in sorted(stored.values(), key=lambda j: j.id):
        if job.id.startswith(SCHEDULE):
            continue  # removed from the configuration: the next `schedule run` deletes it
        done = last.get(job.id)
        entries.append(
            Entry(
                job.id,
                job.name,
                "once",
                job.next_run_time.astimezone(zone) if job.next_run_time else None,
                done["started_at"] if done else None,
                f"{done['outcome']}: {done['message']}" if done else None,
                unfinished=job.next_run_time is None,
            )
        )
    return entries


def _latest(last: dict[str, dict], *jobs: str) -> dict | None:
    """The latest run among `jobs`: a schedule's own runs and those finishing its leftovers."""
    runs_of = [last[job] for job in jobs if job in last]
    return max(runs_of, key=lambda run: run["id"]) if runs_of else None
