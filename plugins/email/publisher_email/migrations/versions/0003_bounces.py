"""Deliverability: each send numbered (for VERP return paths), and every bounce and complaint.

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
        "email_sends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(300), nullable=False),
        sa.Column("list", sa.String(100), nullable=False),
        sa.Column("edition_id", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("delivery_id", name="email_sends_delivery_id"),
    )
    op.create_table(
        "email_bounces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list", sa.String(100), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("send_id", sa.Integer),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("reference", sa.String(400), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("list", "reference", name="email_bounces_list_reference"),
    )
    op.create_index("email_bounces_list_address", "email_bounces", ["list", "address"])
    op.create_index("email_bounces_send", "email_bounces", ["send_id"])
