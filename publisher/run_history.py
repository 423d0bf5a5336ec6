"""The run history: what each scheduled job did, and when, for `schedule list` and `status`.

A row per run in `schedule_runs` (the core's migrations make it): the job's
id, when it started and finished, its outcome (sent, nothing new, failed,
stopped, missed) and a message for people.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
