"""A throw-away PostgreSQL server on 127.0.0.1, to show the ledger works there unchanged.

Uses the server binaries `scripts/install-postgres.sh` installs; skips when they
are absent. As root it runs the server as the `postgres` user, as initdb insists.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _server_binaries() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    found = candidates[0] if candidates else shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server is not installed (scripts/install-postgres.sh)")
    # Not under pytest's temporary folder: the postgres user must be able to reach it.
    data = Path(tempfile.mkdtemp(prefix="publisher-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    run(str(binaries / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "publisher")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    # With a log file the server does not hold our pipes open.
    log = str(data / "server.log")
    run(str(binaries / "pg_ctl"), "-D", str(data / "db"), "-l", log, "-o", options, "-w", "start")
    try:
        yield f"postgresql+psycopg://publisher@127.0.0.1:{port}/postgres"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)
