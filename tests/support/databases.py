"""A database of its own for a test, on the throw-away PostgreSQL server."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_postgres(server_url: str, name: str) -> str:
    """The URL of an empty database called after `name` (made anew) on the server."""
    server = make_url(server_url)
    database = "".join(c if c.isalnum() else "_" for c in name).lower()[:60]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            db.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return server.set(database=database).render_as_string(hide_password=False)
