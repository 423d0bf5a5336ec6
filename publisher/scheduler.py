"""APScheduler wiring: the configured cron schedules, one-off publishes, and a run history.

Jobs live in the state database (a SQLAlchemy job store) and name their
function by textual reference, so they survive restarts and upgrades. Runs
coalesce: a machine that was off sends once when it is back within the
grace time, and logs why when it is back too late. Whatever a run left
unfinished (a digest, a one-off job, a `publish` stopped or killed) is
completed at the next start, before anything new; a one-off job stays in the
job store, paused, until its publication is done.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
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

from publisher.config import parse_duration
from publisher.delivery import Outcome
from publisher.edition import single
from publisher.errors import InputError, PublisherError
from publisher.secrets import scrub
from publisher.workspace import Workspace

log = logging.getLogger(__name__)

SCHEDULE = "schedule:"  # job ids: schedule:NAME, resume:NAME, once:STORY:TIME, unfinished
RESUME = "resume:"
ONCE = "once:"
UNFINISHED = "unfinished"  # finishes what `publish` and `digest` runs left undelivered
BOUNCES = "bounces"  # the job that reads bounce mailboxes, from `[bounces] every`
ONCE_GRACE = timedelta(hours=6)  # a one-off publish missed by more than this is skipped

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

    def record(self, job: str, started: datetime, outcome: str, message: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                runs.insert().values(
                    job=job,
                    started_at=started.astimezone(UTC),
                    finished_at=datetime.now(UTC),
                    outcome=outcome,
                    message=message,
                )
            )

    def last(self) -> dict[str, dict]:
        """The latest run of every job, by job id (its `id` orders runs of different jobs)."""
        latest = select(runs.c.job, func.max(runs.c.id).label("id")).group_by(runs.c.job).subquery()
        query = select(runs).join(latest, runs.c.id == latest.c.id)
        with self.engine.begin() as db:
            rows = [dict(row._mapping) for row in db.execute(query)]
        for row in rows:  # SQLite gives naive datetimes back; they are UTC
            for key in ("started_at", "finished_at"):
                if row[key] is not None and row[key].tzinfo is None:
                    row[key] = row[key].replace(tzinfo=UTC)
        return {row["job"]: row for row in rows}


# Job functions: found by textual reference, called with plain-text arguments -------------


def run_schedule(config: str | None, root: str, name: str, resume_only: bool = False) -> None:
    """One run of a configured digest schedule (or, with `resume_only`, only its leftovers)."""
    job = f"{RESUME if resume_only else SCHEDULE}{name}"
    with _recorded(config, root, job) as (workspace, record):
        schedule = workspace.config.schedules.get(name)
        if schedule is None:
            record("nothing new", f"{name} is no longer in the configuration")
            return
        with _RUNNING[name]:
            plan, _ = workspace.plan_digest(
                schedule.to or None,
                datetime.now(workspace.config.site.zone),
                parse_duration(schedule.since),
                schedule.max_stories,
                only_unfinished=resume_only,
            )
            # A bad story file is left out of the digest, and the run's record says so.
            skipped = workspace.skipped_stories()
            note = f"; {skipped}" if skipped else ""
            if not plan:
                message = f"no new stories in the last {schedule.since}; nothing sent"
                record("nothing new", message + note)
                return
            status, message = _summary(workspace.publish(plan, stop=STOP))
            record(status, message + note)


def run_publish(
    config: str | None, root: str, job: str, story: str, to: list[str] | None, force: bool
) -> None:
    """A one-off `publish --at`: the story as it is when the time comes.

    The job leaves the job store only once its publication is done; until
    then it waits, paused, for the next start of the scheduler to finish it.
    """
    with _recorded(config, root, job) as (workspace, record):
        edition = single(workspace.find_story(story).story)
        plan = [(destination, edition) for destination in workspace.destinations(to)]
        outcomes = workspace.publish(plan, force=force, stop=STOP)
        record(*_summary(outcomes))
        if all(outcome.done for outcome in outcomes):
            JobBook(workspace).forget(job)


def run_unfinished(config: str | None, root: str, publications: list[list[str]]) -> None:
    """Finish publications that `publish` and `digest` runs left undelivered: stopped, killed
    or failed. `publications` holds [edition id, destination] pairs."""
    with _recorded(config, root, UNFINISHED) as (workspace, record):
        wanted = {tuple(pair) for pair in publications}
        plan, problems = workspace.unfinished_plan(wanted)
        outcomes = workspace.publish(plan, stop=STOP) if plan else []
        status, message = _summary(outcomes)
        if problems:
            message = "; ".join([*problems, message] if outcomes else problems)
            status = "stopped" if status == "stopped" else "failed"
        record(status, message)


def run_bounces(config: str | None, root: str) -> None:
    """Read every destination's bounce mailbox, through the plugins that keep them."""
    with _recorded(config, root, BOUNCES) as (workspace, record):
        hook = workspace.plugins.hook.publisher_fetch_bounces
        lines = [line for answer in hook(destinations=workspace.destinations()) for line in answer]
        record("done", "; ".join(lines) or "no destination has a bounce mailbox")


@contextmanager
def _recorded(config: str | None, root: str, job: str) -> Iterator[tuple[Workspace, Callable]]:
    """Open the workspace for a job and record its outcome, whatever happens.

    A job that fails for any reason, a bug included, is logged and recorded
    with its reason (secrets masked): a run never vanishes without a trace.
    """
    started = datetime.now(UTC)
    outcome: list[tuple[str, str]] = []
    workspace = None
    try:
        workspace = Workspace.open(Path(config) if config else None, cwd=Path(root))
        yield workspace, lambda status, message: outcome.append((status, message))
    except Exception as error:  # recorded below: an unattended run must leave a reason
        reason = (
            str(error) if isinstance(error, PublisherError) else f"{type(error).__name__}: {error}"
        )
        outcome.append(("failed", reason))
        if not isinstance(error, PublisherError):
            log.exception("%s failed", job)
    status, message = outcome[-1] if outcome else ("failed", "the job ended without an outcome")
    message = scrub(message)
    (log.error if status == "failed" else log.info)("%s: %s", job, message)
    if workspace is not None:  # a configuration that no longer loads has nowhere to record
        History(workspace.state.engine).record(job, started, status, message)


def _summary(outcomes: list[Outcome]) -> tuple[str, str]:
    message = "; ".join(f"{o.destination}: {o.status} {o.message}" for o in outcomes)
    for status in ("failed", "stopped", "sent"):
        if any(o.status == status for o in outcomes):
            return status, message
    return outcomes[0].status if outcomes else "nothing new", message


# The job store ----------------------------------------------------------------------------


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
        kwargs = {**_location(self.workspace), "job": job_id, "story": str(story.resolve())}
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
        return _entries(self.workspace, self.history, self.store.get_all_jobs())


def _location(workspace: Workspace) -> dict[str, str | None]:
    """Where a job finds its configuration when it runs, in another process."""
    config = workspace.config
    return {
        "config": str(config.path.resolve()) if config.path else None,
        "root": str(config.root),
    }


def _entries(workspace: Workspace, history: History, jobs: list[Job]) -> list[Entry]:
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


# The scheduler ---------------------------------------------------------------------------


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
        self.location = _location(workspace)

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
        return _entries(self.workspace, self.history, self.jobs.get_jobs())

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
