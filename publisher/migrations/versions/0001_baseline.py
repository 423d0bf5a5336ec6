"""Baseline: the core's tables as the release before migrations made them.

That release created each table on first use, so its databases hold any of
them: a table already there is adopted as it is when its columns are these,
the others are created. A table of the same name with other columns is refused.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def tables() -> dict[str, tuple[sa.Column, ...]]:
    """Fresh columns on every call: a Column belongs to one Table only."""
    return {
        "cache": (
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        ),
        "publications": (
            sa.Column("edition_id", sa.String(200), primary_key=True),
            sa.Column("destination", sa.String(100), primary_key=True),
            sa.Column("round", sa.Integer, primary_key=True),
            sa.Column("channel", sa.String(100), nullable=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("story_ids", sa.Text, nullable=False),
            sa.Column("parts", sa.Integer, nullable=False),
            sa.Column("window_start", sa.DateTime(timezone=True)),
            sa.Column("window_end", sa.DateTime(timezone=True)),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("owner", sa.String(200)),
            sa.Column("heartbeat", sa.DateTime(timezone=True)),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True)),
        ),
        "deliveries": (
            sa.Column("edition_id", sa.String(200), primary_key=True),
            sa.Column("destination", sa.String(100), primary_key=True),
            sa.Column("round", sa.Integer, primary_key=True),
            sa.Column("part", sa.Integer, primary_key=True),
            sa.Column("content_hash", sa.String(64), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("remote_id", sa.String(200)),
            sa.Column("remote_url", sa.Text),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("last_error", sa.Text),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        ),
        "schedule_runs": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("job", sa.String(200), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True)),
            sa.Column("outcome", sa.String(20)),
            sa.Column("message", sa.Text),
        ),
    }


def upgrade() -> None:
    present = sa.inspect(op.get_bind())
    for name, columns in tables().items():
        if not present.has_table(name):
            op.create_table(name, *columns)
            continue
        found = {column["name"] for column in present.get_columns(name)}
        expected = {column.name for column in columns}
        if found != expected:
            missing = ", ".join(sorted(expected - found)) or "none"
            unexpected = ", ".join(sorted(found - expected)) or "none"
            raise RuntimeError(
                f"table {name} is not the one Publisher made "
                f"(missing columns: {missing}; unexpected: {unexpected})"
            )
