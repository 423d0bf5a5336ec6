"""The archive: each edition as it went out, kept to be shown by `publisher serve`.

The channel records the rendered email when it starts a delivery (with the
unsubscribe token still a placeholder, so no reader's link is ever stored),
and marks it published when the core reports the delivery finished. Only
published editions are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from publisher import Edition, Part
from publisher_email.storage import aware, metadata, now

archive = Table(
    "email_archive",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(100), nullable=False),
    Column("edition_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),  # None until the delivery finished
    UniqueConstraint("list", "edition_id", name="email_archive_list_edition"),
)


@dataclass(frozen=True)
class Archived:
    list: str
    edition_id: str
    kind: str
    subject: str
    summary: str
    html: str
    text: str
    published_at: datetime


class Archive:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, list_name: str, edition: Edition, part: Part) -> None:
        """Keep the email of `edition` (a later round of it replaces the earlier copy)."""
        if edition.kind == "digest":
            summary = " · ".join(story.headline for story in edition.stories)
        else:
            summary = edition.lead.dek or edition.lead.summary
        values = {
            "kind": edition.kind,
            "subject": part.extra.get("subject", edition.lead.headline),
            "summary": summary[:1000],
            "html": part.extra.get("html", ""),
            "text": part.text,
            "recorded_at": now(),
        }
        key = (archive.c.list == list_name, archive.c.edition_id == edition.id)
        try:
            with self.engine.begin() as db:
                if not db.execute(update(archive).where(*key).values(**values)).rowcount:
                    db.execute(
                        insert(archive).values(list=list_name, edition_id=edition.id, **values)
                    )
        except IntegrityError:  # recorded by another run a moment ago: theirs is the same
            return

    def published(self, list_name: str, edition_id: str) -> None:
        """The delivery finished: show the edition (dated by its first publication)."""
        with self.engine.begin() as db:
            db.execute(
                update(archive)
                .where(
                    archive.c.list == list_name,
                    archive.c.edition_id == edition_id,
                    archive.c.published_at.is_(None),
                )
                .values(published_at=now())
            )

    def editions(self, lists: Sequence[str], limit: int = 200) -> list[Archived]:
        """Published editions of `lists`, newest first; an edition sent to several lists
        once."""
        with self.engine.begin() as db:
            rows = db.execute(
                select(archive)
                .where(archive.c.list.in_(list(lists)), archive.c.published_at.is_not(None))
                .order_by(archive.c.published_at.desc(), archive.c.id.desc())
                .limit(limit * max(1, len(lists)))
            ).all()
        seen: set[str] = set()
        found = []
        for row in rows:
            if row.edition_id not in seen:
                seen.add(row.edition_id)
                found.append(_archived(row))
        return found[:limit]

    def get(self, lists: Sequence[str], edition_id: str) -> Archived | None:
        with self.engine.begin() as db:
            row = db.execute(
                select(archive)
                .where(
                    archive.c.list.in_(list(lists)),
                    archive.c.edition_id == edition_id,
                    archive.c.published_at.is_not(None),
                )
                .order_by(archive.c.published_at.desc())
                .limit(1)
            ).first()
        return _archived(row) if row else None


def _archived(row) -> Archived:
    return Archived(
        row.list,
        row.edition_id,
        row.kind,
        row.subject,
        row.summary,
        row.html,
        row.text,
        aware(row.published_at),
    )
