"""Deliveries remember the text each part posted (as a hash), so that no later post repeats it.

Rows recorded before stay NULL: they are simply not counted as posted text.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("text_hash", sa.String(64)))
