"""The job functions the scheduler runs: a digest schedule, a one-off publish, what runs left
unfinished, the bounce mailboxes.

APScheduler stores each job with its function's name as text
(`publisher.scheduler:run_publish`) and plain-text arguments, so that jobs
survive restarts and upgrades: these functions keep their names in
`publisher.scheduler`, which users' databases hold. Each opens the workspace
afresh and records its outcome in the run history, whatever happens.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from publisher.config import parse_duration
from publisher.delivery import Outcome
from publisher.errors import PublisherError
from publisher.job_book import BOUNCES, RESUME, SCHEDULE, UNFINISHED, JobBook
from publisher.run_history import History
from publisher.secrets import scrub
from publisher.workspace import Workspace

# Named as before the job functions had a module of their own: log filters keep working.
log = logging.getLogger("publisher.scheduler")

# Set on SIGTERM or SIGINT: deliveries stop at the next safe point, the ledger keeps the rest.
STOP = threading.Event()
# A schedule's regular run and the run that finishes its leftovers never overlap.
_RUNNING: dict[str, threading.Lock] = defaultdict(threading.Lock)


def run_schedule(config: str | None, root: str, name: str, resume_only: bool = False) -> None:
    """One run of a configured digest schedule (or, with `resume_only`, only its leftovers)."""
    job = f"{RESUME if resume_only else SCHEDULE}{name}"
    with _recorded(config, root, job) as (workspace, record):
        schedule = workspace.config.schedules.get(name)
        if schedule is None:
            record("nothing new", f"{name} is no longer in the configuration")
            return
        with _RUNNING[name]:
            plan, _, problems = workspace.plan_digest(
                schedule.to or None,
                datetime.now(workspace.config.site.zone),
                parse_duration(schedule.since),
                schedule.max_stories,
                only_unfinished=resume_only,
            )
            # A bad story file is left out of the digest, and the run's record says so.
            skipped = workspace.skipped_stories()
            note = f"; {skipped}" if skipped else ""
            unplanned = [Outcome(name, "failed", why, done=False) for name, why in problems.items()]
            if not plan and not unplanned:
                message = f"no new stories in the last {schedule.since}; nothing sent"
                record("nothing new", message + note)
                return
            outcomes = workspace.publish(plan, stop=STOP) if plan else []
            status, message = _summary([*unplanned, *outcomes])
            record(status, message + note)


def run_publish(
    config: str | None, root: str, job: str, story: str, to: list[str] | None, force: bool
) -> None:
    """A one-off `publish --at`: the story as it is when the time comes.

    The job leaves the job store only once its publication is done; until
    then it waits, paused, for the next start of the scheduler to finish it.
    """
    with _recorded(config, root, job) as (workspace, record):
        _, plan = workspace.plan_story(story, to)
        outcomes = workspace.publish(plan, force=force, stop=STOP)
        record(*_summary(outcomes))
        if all(outcome.done for outcome in outcomes):
            JobBook(workspace).forget(job)


def run_unfinished(config: str | None, root: str, publications: list[list[str]]) -> None:
    """Finish publications that `publish` and `digest` runs left undelivered: stopped, killed
    or failed. `publications` holds [edition id, destination] pairs."""
    with _recorded(config, root, UNFINISHED) as (workspace, record):
        wanted = {(edition, destination) for edition, destination in publications}
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
        with workspace:
            History(workspace.state.engine).record(job, started, status, message)


def _summary(outcomes: list[Outcome]) -> tuple[str, str]:
    message = "; ".join(f"{o.destination}: {o.status} {o.message}" for o in outcomes)
    for status in ("failed", "stopped", "busy", "sent"):
        if any(o.status == status for o in outcomes):
            return status, message
    return outcomes[0].status if outcomes else "nothing new", message
