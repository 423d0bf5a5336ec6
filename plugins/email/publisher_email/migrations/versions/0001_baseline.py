"""Baseline: the email plugin's tables as the release before migrations made them.

That release created each table on first use, so its databases hold either or
both: a table already there is adopted as it is when its columns are these,
the other is created. A table of the same name with other columns is refused.

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


def tables() -> dict[str, tuple[sa.schema.SchemaItem, ...]]:
    """Fresh columns on every call: a Column belongs to one Table only."""
    return {
        "email_subscribers": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("list", sa.String(100), nullable=False),
            sa.Column("address", sa.String(320), nullable=False),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("list", "address", name="email_subscribers_list_address"),
        ),
        "email_recipients": (
            sa.Column("delivery_id", sa.String(300), primary_key=True),
            sa.Column("address", sa.String(320), primary_key=True),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("last_error", sa.Text),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        ),
    }


def upgrade() -> None:
    present = sa.inspect(op.get_bind())
    for name, items in tables().items():
        if not present.has_table(name):
            op.create_table(name, *items)
            continue
        found = {column["name"] for column in present.get_columns(name)}
        expected = {item.name for item in items if isinstance(item, sa.Column)}
        if found != expected:
            missing = ", ".join(sorted(expected - found)) or "none"
            unexpected = ", ".join(sorted(found - expected)) or "none"
            raise RuntimeError(
                f"table {name} is not the one Publisher made "
                f"(missing columns: {missing}; unexpected: {unexpected})"
            )
