"""What each story file holds, in a few fields, so that a run need not parse the whole archive.

A digest needs the stories of one window, `publish --story ID` one file; both
used to parse every file of the stories folder. The index keeps, for each
file, what it was when it was parsed (size, modification and change times in
nanoseconds, inode: its `stamp`), the settings its parse depended on, and
what came out: the story's id, published time and the line of its id, or why
it cannot be used. A run lists the folder, parses only what is new or
changed, and parses in full only the stories it needs.

The index is a cache. Delete it (or change the settings) and every file is
parsed again, with the same outcome. A file that changed within RACY of when
it was indexed is not trusted (timestamps are only as fine as the kernel's
clock tick, so a rewrite in the same tick may keep them all) and is parsed
again until its row is older than its last change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from publisher.errors import StoryError
from publisher.loading import LoadedStory
from publisher.state import State

log = logging.getLogger(__name__)
RACY = 2_000_000_000  # nanoseconds: a file changed this close to its indexing is parsed again

metadata = MetaData()

# Made by the core's migrations (publisher/migrations, revision 0003).
story_index = Table(
    "story_index",
    metadata,
    Column("folder", String(1000), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("stamp", String(100), nullable=False),  # size:mtime_ns:ctime_ns:inode
    Column("settings", String(64), nullable=False),  # what the parse depended on, hashed
    Column("indexed_ns", BigInteger, nullable=False),
    Column("story_id", String(150)),  # None: not a story, or a story that cannot be used
    Column("published", DateTime(timezone=True)),
    Column("id_line", Integer),  # where the id was read, for "two files share an id"
    Column("error", Text),  # why the file cannot be used
    Column("error_line", Integer),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of the stories folder, as its last parse left it (small: an archive has
    thousands)."""

    folder: Path
    name: str
    story_id: str | None = None
    published: datetime | None = None
    id_line: int | None = None
    error: StoryError | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.name


def settings_key(*parts: object) -> str:
    """A short hash of what a parse depends on besides the file (timezone, URL pattern, size
    limit, loaders and their versions)."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:64]


def _stamp(status: os.stat_result) -> str:
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


class _Row(NamedTuple):
    """A row of the index, its folder aside (read for every file: kept small)."""

    name: str
    stamp: str
    settings: str
    indexed_ns: int
    story_id: str | None
    published: datetime | None
    id_line: int | None
    error: str | None
    error_line: int | None


def story_names(folder: Path) -> list[str]:
    """The files of a stories folder, hidden ones aside, sorted; loaders decide which are
    stories."""
    try:
        with os.scandir(folder) as found:
            return sorted(
                entry.name for entry in found if entry.is_file() and not entry.name.startswith(".")
            )
    except (FileNotFoundError, NotADirectoryError):
        return []


class StoryIndex:
    """The index of one stories folder in the state database.

    `load` parses one file (None for a file no loader reads; StoryError for one
    that cannot be used). Without a state database yet (a dry run in a new
    folder), nothing is kept: every file is parsed, as it would be without an index.
    """

    def __init__(
        self,
        state: State,
        folder: Path,
        settings: str,
        load: Callable[[Path], LoadedStory | None],
    ) -> None:
        self.state = state
        self.folder = folder
        self.settings = settings
        self._load = load

    def entries(self, names: list[str]) -> list[Entry]:
        """An entry for each of the folder's files `names`, parsing only those the index does
        not know as they are now; the index then holds exactly these files."""
        if not self.state.exists:
            return [self._parse(name) for name in names]
        key = str(self.folder)
        columns = [column for column in story_index.c if column.name != "folder"]
        with self.state.engine.connect() as db:
            rows = db.execute(select(*columns).where(story_index.c.folder == key))
            known = {row.name: _Row(*row) for row in rows}
        entries: list[Entry] = []
        changed: list[dict] = []
        for name in names:
            row = known.pop(name, None)
            try:
                status = (self.folder / name).stat()
            except OSError:  # gone since the folder was listed: reported as the parse finds it
                entries.append(self._parse(name))
                continue
            stamp = _stamp(status)
            if row is not None and self._fresh(row, stamp, status):
                entries.append(self._entry_of(name, row))
                continue
            indexed = time.time_ns()
            entry = self._parse(name)
            changed.append(self._row(key, stamp, indexed, entry))
            entries.append(entry)
        self._write(key, changed, gone=list(known))
        return entries

    def _fresh(self, row: _Row, stamp: str, status: os.stat_result) -> bool:
        changed = max(status.st_mtime_ns, status.st_ctime_ns)
        return (
            row.stamp == stamp and row.settings == self.settings and row.indexed_ns - changed > RACY
        )

    def _parse(self, name: str) -> Entry:
        try:
            loaded = self._load(self.folder / name)
        except StoryError as error:
            return Entry(self.folder, name, error=error)
        if loaded is None:
            return Entry(self.folder, name)
        story = loaded.story
        return Entry(self.folder, name, story.id, story.published, loaded.line_of("id"))

    def _entry_of(self, name: str, row: _Row) -> Entry:
        error = (
            StoryError(self.folder / name, row.error, row.error_line)
            if row.error is not None
            else None
        )
        published = row.published
        if published is not None and published.tzinfo is None:  # SQLite gives naive UTC back
            published = published.replace(tzinfo=UTC)
        return Entry(self.folder, name, row.story_id, published, row.id_line, error)

    def _row(self, key: str, stamp: str, indexed: int, entry: Entry) -> dict:
        return {
            "folder": key,
            "name": entry.name,
            "stamp": stamp,
            "settings": self.settings,
            "indexed_ns": indexed,
            "story_id": entry.story_id,
            "published": entry.published.astimezone(UTC) if entry.published else None,
            "id_line": entry.id_line,
            "error": entry.error.reason if entry.error else None,
            "error_line": entry.error.line if entry.error else None,
        }

    def _write(self, key: str, changed: list[dict], gone: list[str]) -> None:
        """Replace the rows of changed and removed files. A cache: when another process wrote
        the same rows first, or the write fails, the next run parses these files again."""
        names = [row["name"] for row in changed] + gone
        if not names:
            return
        try:
            with self.state.engine.begin() as db:
                for start in range(0, len(names), 500):
                    db.execute(
                        delete(story_index).where(
                            story_index.c.folder == key,
                            story_index.c.name.in_(names[start : start + 500]),
                        )
                    )
                if changed:
                    db.execute(insert(story_index), changed)
        except IntegrityError:  # another run indexed the same files at the same time
            pass
        except SQLAlchemyError as error:
            log.warning("the story index could not be updated (%s); files are parsed again", error)
