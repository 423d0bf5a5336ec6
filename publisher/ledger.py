"""The delivery ledger: every part of every rendition, recorded before and after it is sent.

A publication is one edition going to one destination. `--force` starts a new
round of it; history is kept. Each part goes `sending` before the channel is
called and `sent` (with its remote id; `partial` when some recipients refused
it), `failed` or `stopped` after, so a run that dies leaves an exact record
of where to resume and which part may be in flight.

Exactly one run delivers a publication at a time: it takes the publication
over with a conditional update (only if nobody changed it since it was read),
names itself as the owner, and every later step checks that it still is.

SQLAlchemy Core and portable types only: a PostgreSQL URL works unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from publisher.channel import Sent
from publisher.errors import InputError, PublisherError

metadata = MetaData()

publications = Table(
    "publications",
    metadata,
    Column("edition_id", String(200), primary_key=True),
    Column("destination", String(100), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("story_ids", Text, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True)),  # a digest's window, to rebuild it
    Column("window_end", DateTime(timezone=True)),
    # running, done, failed, stopped, or abandoned (by `publisher abandon`: never resumed)
    Column("status", String(20), nullable=False),
    Column("owner", String(200)),  # host:pid:thread:process start of the run delivering it
    Column("heartbeat", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # The content hash of each part as the run that began it rendered them (a JSON list), so
    # that a resumed run never finishes it with parts of another version.
    Column("rendition", Text),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("edition_id", String(200), primary_key=True),
    Column("destination", String(100), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    # The text as the platform compares it (`text_hash`), so that a later rendition can avoid
    # repeating a post the destination already made (X refuses duplicates).
    Column("text_hash", String(64)),
    Column("status", String(20), nullable=False),  # sending, sent, partial, failed, stopped
    Column("remote_id", String(200)),
    Column("remote_url", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),  # for a sent part: a warning (an image left out), or None
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A run that stopped renewing its claim this long ago is presumed dead (on another host, or a
# thread of this process that no longer delivers: a live run renews it at least every 10 min).
STALE_AFTER = timedelta(minutes=15)
# A part that went out: to everyone, or to some while others refused it for good.
WENT_OUT = ("sent", "partial")
# A part the server refused for certain (the channel said so with a DeliveryError that is
# not temporary): it reached nobody, so no later version of it can be a repeat.
REFUSED = "refused"


# A publication nobody will deliver further: it went out, or `publisher abandon` gave it up.
CLOSED = ("done", "abandoned")


class Busy(PublisherError):
    """Another live run is delivering the same publication: that destination's outcome,
    while the run goes on with the others."""

    def __init__(self, destination: str, reason: str) -> None:
        self.destination = destination
        self.reason = reason
        super().__init__(f"{destination}: {reason}")


@dataclass(frozen=True)
class Publication:
    """One round of an edition to a destination, as held by the run that delivers it."""

    edition_id: str
    destination: str
    round: int
    owner: str = field(default="", compare=False)  # the run holding it, host:pid:thread


@dataclass(frozen=True)
class AlreadyDone:
    """The edition already went to the destination (or was abandoned there); publishing
    again needs --force."""

    finished_at: datetime
    abandoned: bool = False


@dataclass(frozen=True)
class Changed:
    """An unfinished publication whose edition renders differently now than when its run
    began, with parts that may have gone out: resuming would mix two versions."""

    started_at: datetime
    sent: int  # parts that went out
    unsure: int  # parts an earlier run tried that may have gone out
    parts: int
    differs: int  # the first part that renders otherwise now (parts + 1: a part was added)


@dataclass(frozen=True)
class Unfinished:
    """What is needed to rebuild an edition a run left half-delivered."""

    edition_id: str
    story_ids: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    destination: str = ""
    kind: str = "digest"


@dataclass(frozen=True)
class Claim:
    """The state of a part when a run reaches it."""

    sent: Sent | None  # already delivered: skip it and reply to it
    in_flight: bool  # an earlier attempt did not succeed, and may have reached the server
    attempt: int


def text_hash(text: str) -> str:
    """A post's text as platforms compare it for duplicates: white space folded."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def posted_text_hashes(engine: Engine, destination: str, edition_id: str) -> frozenset[str]:
    """The `text_hash` of every part recorded for `destination`, apart from the unfinished
    publication of `edition_id`: that one's parts are the ones a run resumes, not repeats.

    Parts that failed count too, since they may have reached the server; parts refused
    for certain do not. Reads only: an engine whose database has no ledger yet has posted
    nothing.
    """
    if not inspect(engine).has_table(deliveries.name):
        return frozenset()
    resumed = select(publications.c.round).where(
        publications.c.edition_id == edition_id,
        publications.c.destination == destination,
        publications.c.status.not_in(CLOSED),
    )
    query = select(deliveries.c.text_hash).where(
        deliveries.c.destination == destination,
        deliveries.c.text_hash.is_not(None),
        deliveries.c.status != REFUSED,
        ~and_(deliveries.c.edition_id == edition_id, deliveries.c.round.in_(resumed)),
    )
    with engine.connect() as db:
        return frozenset(db.execute(query.distinct()).scalars())


def _now() -> datetime:
    return datetime.now(UTC)


def _owner() -> str:
    """host:pid:thread:start of this run; two threads of one scheduler are two runs, and the
    process's start tells this process from a later one given the same pid."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{threading.get_ident()}:{_process_start(pid) or ''}"


@functools.cache
def _boot() -> str:
    """This boot of the machine ('' where unknown): a process start counts from it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return ""


def _process_start(pid: int) -> str | None:
    """When process `pid` started, as `boot.ticks` (/proc/PID/stat field 22, clock ticks
    since boot); None where the system does not say (no /proc, no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    if len(fields) < 20:
        return None
    return f"{_boot()}.{fields[19]}"  # field 22 of the line, the 20th after the name


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _owner_is_gone(
    owner: str | None, heartbeat: datetime | None, taking_over: bool = False
) -> bool:
    """Whether the run that claimed a publication has died (and it may be resumed).

    On this host, a process with the owner's pid that started at another time
    (the pid was given again, after a reboot or a crash) is not the owner.
    `taking_over`: this thread asks for the publication, so an earlier hold of
    its own is over (a job that ended without finishing, on a reused thread).
    """
    if not owner:
        return True
    host, pid, thread, started = [*owner.split(":"), "", "", ""][:4]
    if host != socket.gethostname():
        return _stale(heartbeat)
    if pid == str(os.getpid()) and (not started or started == _process_start(os.getpid())):
        mine = taking_over and thread == str(threading.get_ident())
        # A pool's thread outlives its job: one whose delivery ended in an error it did not
        # record (a lost database connection) still runs, but no longer renews its hold.
        return (
            mine or thread not in {str(t.ident) for t in threading.enumerate()} or _stale(heartbeat)
        )
    if not pid.isdigit():
        return False
    if started and _process_start(int(pid)) not in (started, None):
        return True  # that pid is another process now
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False


def _stale(heartbeat: datetime | None) -> bool:
    """Whether a hold has gone unrenewed for longer than a live run ever leaves it."""
    return heartbeat is None or _now() - _aware(heartbeat) > STALE_AFTER


def _change_if_unchanged(
    db: Connection, key: ColumnElement[bool], latest: Row[Any], **values: Any
) -> bool:
    """Update the publication's latest round only if it is still as `latest` read it (the
    atomic take-over): of two runs that read the same row, exactly one changes it."""
    return (
        db.execute(
            update(publications)
            .where(
                key,
                publications.c.round == latest.round,
                publications.c.status == latest.status,
                _same(publications.c.owner, latest.owner),
                _same(publications.c.heartbeat, latest.heartbeat),
            )
            .values(**values)
        ).rowcount
        == 1
    )


def _same(column: Column[Any], value: object) -> ColumnElement[bool]:
    """`column` still holds `value` (NULL included), for a conditional update."""
    return column.is_(None) if value is None else column == value


def _busy(destination: str, edition_id: str, owner: str | None) -> Busy:
    by = f" ({owner})" if owner else ""
    return Busy(
        destination,
        f"{edition_id} is being delivered by another run{by}; try again when it has finished",
    )


class Ledger:
    """Claim and settle operations on the state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _transaction(self) -> Iterator:
        with self.engine.begin() as connection:
            yield connection

    # Publications ---------------------------------------------------------------

    def begin(
        self,
        edition_id: str,
        destination: str,
        *,
        channel: str,
        kind: str,
        story_ids: Sequence[str],
        parts: int,
        force: bool = False,
        window: tuple[datetime | None, datetime | None] = (None, None),
        rendition: Sequence[str] | None = None,
    ) -> Publication | AlreadyDone | Changed:
        """Start or take over the publication of an edition to a destination.

        `rendition` is the content hash of each part as rendered now. An unfinished
        publication is taken over only if its parts were rendered the same, or if
        none of them may have gone out yet; else the answer is Changed and nothing
        is touched. Raises Busy when another live run holds it, or took it over a
        moment earlier: of two runs that try at once, exactly one gets it.
        """
        key = and_(
            publications.c.edition_id == edition_id, publications.c.destination == destination
        )
        me = _owner()
        rendered = json.dumps(list(rendition)) if rendition is not None else None
        with self._transaction() as db:
            latest = db.execute(
                select(publications).where(key).order_by(publications.c.round.desc()).limit(1)
            ).first()
            if latest is not None and latest.status not in CLOSED:
                if latest.status == "running" and not _owner_is_gone(
                    latest.owner, latest.heartbeat, taking_over=True
                ):
                    raise _busy(destination, edition_id, latest.owner)
                changed = self._changed(db, latest, rendered)
                if changed is not None:
                    return changed
                if not _change_if_unchanged(
                    db,
                    key,
                    latest,
                    status="running",
                    owner=me,
                    heartbeat=_now(),
                    parts=parts,
                    rendition=rendered if rendered is not None else latest.rendition,
                ):
                    holder = db.scalar(
                        select(publications.c.owner).where(
                            key, publications.c.round == latest.round
                        )
                    )
                    raise _busy(destination, edition_id, holder)
                return Publication(edition_id, destination, latest.round, me)
            if latest is not None and not force:
                return AlreadyDone(_aware(latest.finished_at), latest.status == "abandoned")
            round_ = latest.round + 1 if latest is not None else 1
            try:
                db.execute(
                    insert(publications).values(
                        edition_id=edition_id,
                        destination=destination,
                        round=round_,
                        channel=channel,
                        kind=kind,
                        story_ids=json.dumps(list(story_ids)),
                        parts=parts,
                        window_start=window[0],
                        window_end=window[1],
                        status="running",
                        owner=me,
                        heartbeat=_now(),
                        started_at=_now(),
                        rendition=rendered,
                    )
                )
            except IntegrityError:
                raise _busy(destination, edition_id, None) from None
        return Publication(edition_id, destination, round_, me)

    @staticmethod
    def _changed(db: Any, latest: Row, rendered: str | None) -> Changed | None:
        """Changed, when the unfinished round `latest` was rendered otherwise than `rendered`
        in a part that went out, or may have: resuming would mix two versions.

        Parts refused for certain reached nobody, so a corrected story replaces them (the
        usual fix for a post the server refused), as it replaces parts never tried. A
        round recorded before renditions were kept (NULL) is resumed as before."""
        if rendered is None or latest.rendition is None or latest.rendition == rendered:
            return None
        tried = db.execute(
            select(deliveries.c.part, deliveries.c.status).where(
                deliveries.c.edition_id == latest.edition_id,
                deliveries.c.destination == latest.destination,
                deliveries.c.round == latest.round,
                deliveries.c.status != REFUSED,
            )
        ).all()
        began, now = json.loads(latest.rendition), json.loads(rendered)
        if all(
            part <= min(len(began), len(now)) and began[part - 1] == now[part - 1]
            for part, _ in tried
        ):
            return None  # what went out, or may have, reads the same: the rest is replaced
        sent = sum(status in WENT_OUT for _, status in tried)
        differs = next(
            (
                number
                for number, (old, new) in enumerate(zip(began, now, strict=False), 1)
                if old != new
            ),
            min(len(began), len(now)) + 1,
        )
        return Changed(_aware(latest.started_at), sent, len(tried) - sent, len(began), differs)

    def abandon(self, edition_id: str, destination: str) -> str:
        """Give up the unfinished publication of `edition_id` to `destination`: it stays in the
        ledger, marked abandoned, and no run resumes or sends it again. Returns its previous
        status as `status` shows it ("abandoned" when it already was).

        InputError when there is no such publication or it is done; Busy when a live run
        is delivering it.
        """
        key = and_(
            publications.c.edition_id == edition_id, publications.c.destination == destination
        )
        with self._transaction() as db:
            latest = db.execute(
                select(publications).where(key).order_by(publications.c.round.desc()).limit(1)
            ).first()
            if latest is None:
                raise InputError(f"{destination}: {edition_id} has never been published there")
            if latest.status in CLOSED:
                if latest.status == "abandoned":
                    return "abandoned"
                raise InputError(
                    f"{destination}: {edition_id} was delivered in full: nothing to abandon"
                )
            if latest.status == "running" and not _owner_is_gone(latest.owner, latest.heartbeat):
                raise _busy(destination, edition_id, latest.owner)
            if not _change_if_unchanged(
                db, key, latest, status="abandoned", owner=None, finished_at=_now()
            ):
                raise _busy(destination, edition_id, None)
            return "interrupted" if latest.status == "running" else str(latest.status)

    def heartbeat(self, publication: Publication) -> bool:
        """Say this run is alive, during a long part (an email send to many subscribers).

        False when this run no longer holds the publication (another run took
        it over, taking this one for dead): the run must stop.
        """
        with self._transaction() as db:
            return (
                db.execute(
                    update(publications).where(*self._held(publication)).values(heartbeat=_now())
                ).rowcount
                == 1
            )

    def finish(self, publication: Publication, status: str) -> None:
        """Record how the run ended: done, failed or stopped; a run that lost it records nothing."""
        with self._transaction() as db:
            db.execute(
                update(publications)
                .where(*self._held(publication))
                .values(status=status, owner=None, finished_at=_now())
            )

    # Parts ----------------------------------------------------------------------

    def claim(
        self,
        publication: Publication,
        number: int,
        content_hash: str,
        text_hash: str | None = None,
    ) -> Claim:
        """Mark part `number` as being sent, or report that it already went out.

        `text_hash` (of the part's text, see `text_hash`) is kept from the claim on, since a
        part may reach the server even when its run never learns that it did. Raises Busy
        when this run no longer holds the publication.
        """
        key = (*self._publication_key(publication, deliveries), deliveries.c.part == number)
        with self._transaction() as db:
            held = db.execute(
                update(publications).where(*self._held(publication)).values(heartbeat=_now())
            ).rowcount
            if held != 1:
                holder = db.scalar(
                    select(publications.c.owner).where(*self._publication_key(publication))
                )
                raise _busy(publication.destination, publication.edition_id, holder)
            row = db.execute(select(deliveries).where(*key)).first()
            if row is None:
                db.execute(
                    insert(deliveries).values(
                        edition_id=publication.edition_id,
                        destination=publication.destination,
                        round=publication.round,
                        part=number,
                        content_hash=content_hash,
                        text_hash=text_hash,
                        status="sending",
                        attempts=1,
                        created_at=_now(),
                        updated_at=_now(),
                    )
                )
                return Claim(sent=None, in_flight=False, attempt=1)
            if row.status in WENT_OUT:
                return Claim(
                    Sent(row.remote_id, row.remote_url), in_flight=False, attempt=row.attempts
                )
            db.execute(
                update(deliveries)
                .where(*key)
                .values(
                    status="sending",
                    content_hash=content_hash,
                    text_hash=text_hash,
                    attempts=row.attempts + 1,
                    updated_at=_now(),
                )
            )
            # Whether it crashed ("sending"), gave up ("failed") or stopped, an earlier attempt
            # may have reached the server: the channel is asked to look before sending again.
            # Refused for certain, it reached nobody.
            in_flight = row.status != REFUSED
            return Claim(sent=None, in_flight=in_flight, attempt=row.attempts + 1)

    def settle(
        self, publication: Publication, number: int, sent: Sent, note: str | None = None
    ) -> None:
        """Part `number` went out; `note` says to whom it did not (recipients who refused it),
        else `last_error` keeps the warning it went out with, if any."""
        self._set_part(
            publication,
            number,
            status="partial" if note else "sent",
            remote_id=sent.id,
            remote_url=sent.url,
            last_error=note or sent.warning,
        )

    def fail(
        self, publication: Publication, number: int, error: str, status: str = "failed"
    ) -> None:
        """Part `number` did not go out (or not all of it): `failed` (it may have reached the
        server), `refused` (it reached nobody, the channel is sure), or `stopped` by a stop."""
        self._set_part(publication, number, status=status, last_error=error)

    def _set_part(self, publication: Publication, number: int, **values: object) -> None:
        with self._transaction() as db:
            db.execute(
                update(deliveries)
                .where(*self._publication_key(publication, deliveries), deliveries.c.part == number)
                .values(updated_at=_now(), **values)
            )

    @staticmethod
    def _publication_key(publication: Publication, table: Table = publications) -> tuple:
        return (
            table.c.edition_id == publication.edition_id,
            table.c.destination == publication.destination,
            table.c.round == publication.round,
        )

    def _held(self, publication: Publication) -> tuple:
        """The publication's row, as long as this run still holds it."""
        return (*self._publication_key(publication), publications.c.owner == publication.owner)

    # Questions ------------------------------------------------------------------

    def sent_stories(self, destination: str, kind: str = "digest") -> frozenset[str]:
        """Ids of every story that went out to `destination` in a finished `kind` edition, or
        in one abandoned there (never sent again, not even in a later digest)."""
        with self._transaction() as db:
            rows = db.execute(
                select(publications.c.story_ids).where(
                    publications.c.destination == destination,
                    publications.c.kind == kind,
                    publications.c.status.in_(CLOSED),
                )
            )
            return frozenset(story for (ids,) in rows for story in json.loads(ids))

    def unfinished(self, destination: str, kind: str = "digest") -> Unfinished | None:
        """The latest `kind` edition for `destination` that a run started and did not finish."""
        with self._transaction() as db:
            row = db.execute(
                select(publications)
                .where(
                    publications.c.destination == destination,
                    publications.c.kind == kind,
                )
                .order_by(publications.c.started_at.desc())
                .limit(1)
            ).first()
        if row is None or row.status in CLOSED:
            return None
        return _unfinished(row)

    def all_unfinished(self) -> list[Unfinished]:
        """Every publication whose latest round no run finished and no live run holds:
        stopped, failed, or left running by a run that is gone."""
        latest = (
            select(
                publications.c.edition_id,
                publications.c.destination,
                func.max(publications.c.round).label("round"),
            )
            .group_by(publications.c.edition_id, publications.c.destination)
            .subquery()
        )
        query = (
            select(publications)
            .join(
                latest,
                and_(
                    publications.c.edition_id == latest.c.edition_id,
                    publications.c.destination == latest.c.destination,
                    publications.c.round == latest.c.round,
                ),
            )
            .where(publications.c.status.not_in(CLOSED))
            .order_by(publications.c.started_at)
        )
        with self._transaction() as db:
            rows = db.execute(query).all()
        return [
            _unfinished(row)
            for row in rows
            if row.status != "running" or _owner_is_gone(row.owner, row.heartbeat)
        ]

    def recent(self, limit: int = 20) -> list[dict]:
        """The latest publications with how many of their parts were sent, and the first
        error and warning of each.

        A publication left `running` by a run that is gone is reported as
        `interrupted`: nothing is delivering it until a run resumes it.
        `error` is the reason a part failed or stopped, or, for one that went
        out, what did not (recipients who refused it); `warning` is what a part
        that went out to everyone went out with (an image left off, say).
        """
        part_of_it = (
            deliveries.c.edition_id == publications.c.edition_id,
            deliveries.c.destination == publications.c.destination,
            deliveries.c.round == publications.c.round,
        )
        sent_parts = (
            select(func.count())
            .where(*part_of_it, deliveries.c.status.in_(WENT_OUT))
            .scalar_subquery()
        )
        # A part sent after failing keeps its old error: only these statuses explain themselves.
        said = ("failed", REFUSED, "stopped", "partial")
        last_error = (
            select(deliveries.c.last_error)
            .where(*part_of_it, deliveries.c.status.in_(said), deliveries.c.last_error.is_not(None))
            .order_by((deliveries.c.status == "partial").asc(), deliveries.c.part)
            .limit(1)
            .scalar_subquery()
        )
        warning = (
            select(deliveries.c.last_error)
            .where(*part_of_it, deliveries.c.status == "sent", deliveries.c.last_error.is_not(None))
            .order_by(deliveries.c.part)
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(
                publications,
                sent_parts.label("sent"),
                last_error.label("error"),
                warning.label("warning"),
            )
            .order_by(publications.c.started_at.desc())
            .limit(limit)
        )
        with self._transaction() as db:
            rows = [dict(row._mapping) for row in db.execute(query)]
        for row in rows:
            row["started_at"] = _aware(row["started_at"])
            if row["status"] == "running" and _owner_is_gone(row["owner"], row["heartbeat"]):
                row["status"] = "interrupted"
        return rows

    def parts(self, publication: Publication) -> list[dict]:
        """Every recorded part of a publication, in order."""
        with self._transaction() as db:
            rows = db.execute(
                select(deliveries)
                .where(*self._publication_key(publication, deliveries))
                .order_by(deliveries.c.part)
            )
            return [dict(row._mapping) for row in rows]


def _unfinished(row: Row) -> Unfinished:
    return Unfinished(
        row.edition_id,
        tuple(json.loads(row.story_ids)),
        _aware(row.window_start),
        _aware(row.window_end),
        row.destination,
        row.kind,
    )
