"""APScheduler wiring: the configured cron schedules, one-off publishes, and a run history.

Jobs live in the state database (a SQLAlchemy job store) and name their
function by textual reference, so they survive restarts and upgrades. Runs
coalesce: a machine that was off sends once when it is back within the
grace time, and logs why when it is back too late. A digest that a run left
unfinished is completed at the next start, before anything new.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from cron_descriptor import get_description
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)

from publisher.config import ScheduleSettings, parse_duration
from publisher.edition import single
from publisher.errors import InputError, PublisherError
from publisher.workspace import Workspace

log = logging.getLogger(__name__)

SCHEDULE = "schedule:"  # job ids: schedule:NAME, resume:NAME, once:STORY:TIME
RESUME = "resume:"
ONCE = "once:"

# Set on SIGTERM or SIGINT: deliveries stop at the next safe point, the ledger keeps the rest.
STOP = threading.Event()
# A schedule's regular run and the run that finishes its leftovers never overlap.
_RUNNING: dict[str, threading.Lock] = defaultdict(threading.Lock)

metadata = MetaData()
runs = Table(
    "schedule_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20)),  # sent, nothing new, failed, stopped, missed
    Column("message", Text),
)


class History:
    """What each job did, for `schedule list` and `status`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def record(self, job: str, started: datetime, outcome: str, message: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                runs.insert().values(
                    job=job,
                    started_at=started,
                    finished_at=datetime.now(started.tzinfo),
                    outcome=outcome,
                    message=message,
                )
            )

    def last(self) -> dict[str, dict]:
        """The latest run of every job, by job id."""
        latest = select(runs.c.job, func.max(runs.c.id).label("id")).group_by(runs.c.job).subquery()
        query = select(runs).join(latest, runs.c.id == latest.c.id)
        with self.engine.begin() as db:
            return {row.job: dict(row._mapping) for row in db.execute(query)}


# Job functions: found by textual reference, called with plain-text arguments -------------


def run_schedule(config: str | None, root: str, name: str, resume_only: bool = False) -> None:
    """One run of a configured digest schedule (or, with `resume_only`, only its leftovers)."""
    workspace = Workspace.open(Path(config) if config else None, cwd=Path(root))
    history = History(workspace.state.engine)
    job = f"{RESUME if resume_only else SCHEDULE}{name}"
    started = datetime.now(workspace.config.site.zone)
    schedule = workspace.config.schedules.get(name)
    if schedule is None:
        log.warning("%s: no longer in the configuration; nothing to do", name)
        return
    try:
        with _RUNNING[name]:
            outcome, message = _digest_run(workspace, name, schedule, started, resume_only)
    except PublisherError as error:
        outcome, message = "failed", str(error)
    (log.error if outcome == "failed" else log.info)("%s: %s", name, message)
    history.record(job, started, outcome, message)


def _digest_run(
    workspace: Workspace, name: str, schedule: ScheduleSettings, now: datetime, resume_only: bool
) -> tuple[str, str]:
    since = parse_duration(schedule.since)
    plan = []
    for destination in workspace.destinations(schedule.to or None):
        if resume_only and workspace.ledger.unfinished(destination.name) is None:
            continue
        edition = workspace.digest_for(destination.name, now, since, schedule.max_stories)
        if edition is None:
            log.info(
                "%s: %s has had every story of the last %s", name, destination.name, schedule.since
            )
        else:
            plan.append((destination, edition))
    if not plan:
        return "nothing new", f"no new stories in the last {schedule.since}; no digest sent"
    outcomes = workspace.publish(plan, stop=STOP)
    return _summary(outcomes)


def run_publish(
    config: str | None, root: str, story: str, to: list[str] | None, force: bool
) -> None:
    """A one-off `publish --at`: the story as it is when the time comes."""
    workspace = Workspace.open(Path(config) if config else None, cwd=Path(root))
    history = History(workspace.state.engine)
    started = datetime.now(workspace.config.site.zone)
    try:
        edition = single(workspace.find_story(story).story)
        plan = [(destination, edition) for destination in workspace.destinations(to)]
        outcome, message = _summary(workspace.publish(plan, force=force, stop=STOP))
    except PublisherError as error:
        outcome, message = "failed", str(error)
    (log.error if outcome == "failed" else log.info)("%s: %s", story, message)
    history.record(f"{ONCE}{story}", started, outcome, message)


def _summary(outcomes) -> tuple[str, str]:
    message = "; ".join(f"{o.destination}: {o.status} {o.message}" for o in outcomes)
    for status in ("failed", "stopped"):
        if any(o.status == status for o in outcomes):
            return status, message
    return "sent", message


# The scheduler ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One scheduled job, as `schedule list` shows it."""

    id: str
    what: str
    when: str
    next_run: datetime | None
    last_run: datetime | None
    outcome: str | None


class Scheduler:
    """The configured schedules and one-off jobs in the state database's job store."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.zone = workspace.config.site.zone
        self.history = History(workspace.state.engine)
        self.jobs = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=workspace.state.engine)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.zone,
        )
        self.jobs.add_listener(self._missed, EVENT_JOB_MISSED)

    @property
    def _location(self) -> dict[str, str | None]:
        config = self.workspace.config
        return {
            "config": str(config.path.resolve()) if config.path else None,
            "root": str(config.root),
        }

    def __enter__(self) -> Scheduler:
        """Open the job store without running anything (list, add, cancel)."""
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
            kwargs = {**self._location, "name": name}
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
            elif (
                str(job.trigger),
                str(job.trigger.timezone),
                job.kwargs,
                job.misfire_grace_time,
            ) != (
                str(trigger),
                str(trigger.timezone),
                kwargs,
                grace,
            ):
                # Only a changed schedule is replaced: an unchanged one keeps a missed run time.
                self.jobs.modify_job(job_id, kwargs=kwargs, misfire_grace_time=grace)
                if str(job.trigger) != str(trigger) or str(job.trigger.timezone) != str(self.zone):
                    self.jobs.reschedule_job(job_id, trigger=trigger)
                changes.append(f"replaced {name}")
        for job_id in stored:
            self.jobs.remove_job(job_id)
            changes.append(f"removed {job_id.removeprefix(SCHEDULE)}")
        return changes

    def resume_unfinished(self) -> list[str]:
        """Queue, to run at once, every schedule that left a digest half-delivered."""
        queued = []
        for name, schedule in self.workspace.config.schedules.items():
            destinations = self.workspace.destinations(schedule.to or None)
            if any(self.workspace.ledger.unfinished(d.name) for d in destinations):
                self.jobs.add_job(
                    "publisher.scheduler:run_schedule",
                    DateTrigger(datetime.now(self.zone), timezone=self.zone),
                    id=f"{RESUME}{name}",
                    name=f"finish {name}",
                    kwargs={**self._location, "name": name, "resume_only": True},
                    replace_existing=True,
                    misfire_grace_time=None,
                )
                queued.append(name)
        return queued

    def run(self) -> None:
        """Run jobs until STOP is set; a delivery under way stops at its next safe point."""
        self.jobs.resume()
        while not STOP.wait(1):
            pass
        self.jobs.shutdown(wait=True)

    def once(self, story: Path, at: datetime, to: list[str] | None, force: bool) -> str:
        """Store a one-off publish of `story` at `at`; the job survives restarts."""
        if at <= datetime.now(self.zone):
            raise InputError(f"--at {at.isoformat()} is in the past")
        job_id = f"{ONCE}{story.stem}:{at:%Y%m%dT%H%M}"
        self.jobs.add_job(
            "publisher.scheduler:run_publish",
            DateTrigger(at, timezone=self.zone),
            id=job_id,
            name=f"publish {story.name}",
            kwargs={**self._location, "story": str(story.resolve()), "to": to, "force": force},
            replace_existing=True,
            misfire_grace_time=int(timedelta(hours=6).total_seconds()),
        )
        return job_id

    def cancel(self, job_id: str) -> None:
        if self.jobs.get_job(job_id) is None:
            known = ", ".join(job.id for job in self.jobs.get_jobs()) or "none"
            raise InputError(f"no scheduled job '{job_id}' (scheduled: {known})")
        self.jobs.remove_job(job_id)

    def entries(self) -> Iterator[Entry]:
        """Every stored job with its next run, and every schedule's last run."""
        last = self.history.last()
        for job in sorted(self.jobs.get_jobs(), key=lambda j: j.id):
            if isinstance(job.trigger, CronTrigger):
                schedule = self.workspace.config.schedules.get(job.name)
                cron = schedule.cron if schedule else str(job.trigger)
                when = f"{get_description(cron)} ({self.zone.key})"
                what = f"digest to {', '.join(schedule.to) if schedule and schedule.to else 'all'}"
            else:
                when, what = "once", job.name
            done = last.get(job.id) or last.get(job.id.replace(SCHEDULE, RESUME))
            yield Entry(
                job.id,
                what,
                when,
                job.next_run_time.astimezone(self.zone) if job.next_run_time else None,
                done["started_at"] if done else None,
                f"{done['outcome']}: {done['message']}" if done else None,
            )

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
        self.history.record(event.job_id, datetime.now(self.zone), "missed", message)


def _words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" * bool(days), f"{hours}h" * bool(hours), f"{minutes}m" * bool(minutes)]
    return " ".join(p for p in parts if p) or "under a minute"
