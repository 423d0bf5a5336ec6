"""Start-up: `publisher --help` and `publisher status` against `python -c pass`.

    .venv/bin/python bench/startup.py

The commands run alternately, 7 times each, in fresh processes, in a temporary project with
the default configuration; each figure is the median wall time, and beside it the median
processor time (user and system) of the same runs, which other work on a shared machine
disturbs less. The checkout's modules are
compiled to bytecode first, as pip does for an installed package (an editable install is
not), so that the figures measure importing, not compiling.
"""

from __future__ import annotations

import compileall
import os
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
LIBRARIES = "import click, pluggy"


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and processor time of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command} failed with exit code {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def compile_checkout() -> None:
    for package in [ROOT / "publisher", *ROOT.glob("plugins/*/publisher_*")]:
        compileall.compile_dir(package, quiet=1)


def main() -> None:
    compile_checkout()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        # What no `publisher` command can do without: the command line's library and the
        # plugin manager (entry points are read without importlib.metadata).
        "import click, pluggy": [sys.executable, "-c", LIBRARIES],
        "publisher --help": [PUBLISHER, "--help"],
        "publisher status": [PUBLISHER, "status"],
    }
    with tempfile.TemporaryDirectory(prefix="publisher-startup-") as temporary:
        folder = Path(temporary)
        (folder / "config").mkdir()
        shutil.copy(ROOT / "config" / "publisher.toml", folder / "config" / "publisher.toml")
        timed(commands["publisher status"], folder)  # makes the state database, once
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                wall, cpu = timed(command, folder)
                walls[name].append(wall)
                cpus[name].append(cpu)
    floor = statistics.median(walls["python -c pass"])
    cpu_floor = statistics.median(cpus["python -c pass"])
    print(f"start-up, median of {RUNS} alternate runs (wall time; processor time):")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"  {name:<24} {wall * 1e3:5.0f} ms {wall / floor:5.1f}x python -c pass;"
            f"  {cpu * 1e3:5.0f} ms {cpu / cpu_floor:5.1f}x"
        )


if __name__ == "__main__":
    main()
