"""A subscriber's statuses, apart from the table, so the command line's options name them
without loading SQLAlchemy (`publisher --help`)."""

from typing import Literal

Status = Literal["active", "unsubscribed", "bounced", "complained"]
STATUSES: tuple[Status, ...] = ("active", "unsubscribed", "bounced", "complained")
