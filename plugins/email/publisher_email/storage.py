"""What the plugin's tables share: their MetaData, the clock for their times, paged reads.

SQLAlchemy Core with portable types only, like the core's own tables: a
PostgreSQL state URL works unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, MetaData, Row, Select

PAGE = 500  # rows per query (and per transaction) when reading or importing a list

metadata = MetaData()


def now() -> datetime:
    """Timezone-aware UTC, as the core's ledger writes its times."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def pages(engine: Engine, query: Select, key: Column) -> Iterator[Sequence[Row]]:
    """The rows of `query` a page at a time, in order of the integer column `key`.

    Keyset paging, one short transaction a page: a list of 100,000 is never held
    in memory or in one open transaction, and rows that drop out of `query`
    behind the current page (recipients settled meanwhile) never shift the pages
    ahead, as OFFSET would. `query` must select `key`.
    """
    last = 0
    while True:
        with engine.begin() as db:
            rows = db.execute(query.where(key > last).order_by(key).limit(PAGE)).all()
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        last = rows[-1]._mapping[key]
