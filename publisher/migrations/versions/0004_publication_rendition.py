"""Publications remember the content hash of each part as the run that began them rendered
it, so that a resumed run never finishes a thread with parts of another version.

Rows recorded before stay NULL: such a publication is resumed as it was before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("publications", sa.Column("rendition", sa.Text))
