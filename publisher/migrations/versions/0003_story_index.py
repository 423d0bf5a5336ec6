"""The story index: what each story file held when it was last parsed, so that a run parses
only new and changed files. A cache: an empty table only costs the first run a full parse.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_index",
        sa.Column("folder", sa.String(1000), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("stamp", sa.String(100), nullable=False),
        sa.Column("settings", sa.String(64), nullable=False),
        sa.Column("indexed_ns", sa.BigInteger, nullable=False),
        sa.Column("story_id", sa.String(150)),
        sa.Column("published", sa.DateTime(timezone=True)),
        sa.Column("id_line", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("error_line", sa.Integer),
    )
