"""Record keys: their own table, moved out of the cache.

The release before kept each part's record key in the core's `cache` table,
under "bluesky:rkey:<idempotency key>", its value JSON. A record key is what
finds a post that went out unrecorded, so it is a durable record, not a
cache: this makes `bluesky_rkeys` and moves every such row into it.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PREFIX = "bluesky:rkey:"


def upgrade() -> None:
    rkeys = op.create_table(
        "bluesky_rkeys",
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("rkey", sa.String(13), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("cache"):
        return
    cache = sa.table(
        "cache",
        sa.column("key", sa.String),
        sa.column("value", sa.Text),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    # `key` starts with the prefix: no LIKE, whose "_" and "%" would need escaping.
    ours = sa.func.substr(cache.c.key, 1, len(PREFIX)) == PREFIX
    rows = bind.execute(sa.select(cache.c.key, cache.c.value, cache.c.updated_at).where(ours))
    moved = [
        {
            "idempotency_key": row.key.removeprefix(PREFIX),
            "rkey": json.loads(row.value),
            "chosen_at": row.updated_at,
        }
        for row in rows
    ]
    if moved:
        op.bulk_insert(rkeys, moved)
    bind.execute(sa.delete(cache).where(ours))
