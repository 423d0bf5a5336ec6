"""Start-up: `publisher --help` and `publisher status` against `python -c pass`.

    .venv/bin/python bench/startup.py

The commands run alternately, 7 times each, in fresh processes, in a temporary project with
the default configuration; each figure is the median wall time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLISHER = str(Path(sys.executable).with_name("publisher"))
RUNS = 7
LIBRARIES = "import click, pluggy, logging, pathlib"


def wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def main() -> None:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        # What any `publisher` command loads first: the libraries of the command line, the
        # plugin manager, logging and paths (entry points are read without importlib.metadata).
        "click, pluggy, logging, paths": [sys.executable, "-c", LIBRARIES],
        "publisher --help": [PUBLISHER, "--help"],
        "publisher status": [PUBLISHER, "status"],
    }
    with tempfile.TemporaryDirectory(prefix="publisher-startup-") as temporary:
        folder = Path(temporary)
        (folder / "config").mkdir()
        shutil.copy(ROOT / "config" / "publisher.toml", folder / "config" / "publisher.toml")
        wall(commands["publisher status"], folder)  # makes the state database, once
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                times[name].append(wall(command, folder))
    floor = statistics.median(times["python -c pass"])
    print(f"start-up, median of {RUNS} alternate runs:")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"  {name:<28} {median * 1e3:6.0f} ms   {median / floor:5.1f}x python -c pass")


if __name__ == "__main__":
    main()
