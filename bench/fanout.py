"""The whole send: `publisher publish` to a list against the plain-smtplib floor.

    .venv/bin/python bench/fanout.py            # 20,000 and 100,000 subscribers
    .venv/bin/python bench/fanout.py --quick    # 2,000 and 10,000, for development
    .venv/bin/python bench/fanout.py --profile  # also a py-spy profile of Publisher's side

Both sides send to the same local sink: Postfix's `smtp-sink` (installed from Debian's
`postfix` package when it is missing and this runs as root, without starting Postfix
itself), else an aiosmtpd sink (said in the output). The floor sends the same bytes (one
copy Publisher made) to the same number of addresses over the same number of connections,
with smtplib and nothing else. Each side runs in a process of its own, which reports its
wall time and peak memory (ru_maxrss); Publisher's time is the whole `publish` command,
render and ledger included.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "samples" / "open-source-compact.txt"
EXAMPLE = ROOT / "examples" / "stories" / "harbour-ferry-fares.txt"
SMTP_SINK = Path("/usr/sbin/smtp-sink")
SIGNING_KEY = "bench-signing-key-0123456789-0123456789"
SENDER = "brief@example.org"

CONFIG = """\
[site]
name = "Bench Brief"
url = "https://brief.example.org"
stories = "stories"
state = "sqlite:///state/publisher.db"
timezone = "UTC"

[destinations.newsletter]
channel = "email"
from = "Bench Brief <brief@example.org>"
smtp = "smtp://127.0.0.1:{port}"
connections = {connections}
postal_address = "Bench Brief, 1 Example Street, 10115 Berlin"
"""


# The sink -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _install_smtp_sink() -> bool:
    """Install Debian's postfix (which ships smtp-sink) without starting its service."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    print("installing Debian's postfix for /usr/sbin/smtp-sink (its service is not started)...")
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:  # tells the package scripts not to start services, as in a container build
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postfix"]
        subprocess.run(install, check=False, **quiet)
    finally:
        if ours:
            policy.unlink()
    return SMTP_SINK.exists()


class Sink:
    """A local SMTP server that accepts everything and keeps nothing."""

    def __init__(self) -> None:
        self.port = _free_port()
        if SMTP_SINK.exists() or _install_smtp_sink():
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            command = [str(SMTP_SINK), *user, f"127.0.0.1:{self.port}", "1024"]
            self.name = "Postfix smtp-sink"
        else:
            handler = "aiosmtpd.handlers.Sink"
            address = f"127.0.0.1:{self.port}"
            command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", address, "-c", handler]
            self.name = "aiosmtpd Sink (fallback: smtp-sink is missing and cannot be installed)"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit(f"the sink ({self.name}) did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# One side, in its own process ---------------------------------------------------------------


def _usage() -> dict:
    """Peak memory, and the processor time spent (both threads and all)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime}


def side_publisher(project: Path, story: str) -> dict:
    """`publisher publish --story ... --to newsletter` in this process, timed."""
    from publisher.cli import main

    os.chdir(project)
    start = time.perf_counter()
    code = main(["publish", "--story", story, "--to", "newsletter"])
    if code:
        raise SystemExit(code)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **_usage()}


def side_floor(message: Path, port: int, count: int, connections: int) -> dict:
    """The same bytes to `count` addresses over `connections` smtplib connections."""
    import smtplib

    data = message.read_bytes()
    numbers = itertools.count()  # next() on it is atomic under the GIL
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as connection:
                connection.ehlo("bench")
                while (n := next(numbers)) < count:
                    connection.sendmail(SENDER, [f"reader{n}@example.org"], data)
        except BaseException as error:
            errors.append(error)

    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return {"seconds": seconds, **_usage()}


def _run_side(*args: str, profile: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--side", *args]
    if profile is not None:
        spy = Path(sys.executable).with_name("py-spy")
        command = [str(spy), "record", "-r", "200", "-f", "raw", "-o", str(profile),
                   "--", *command]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} side failed:\n{done.stdout}\n{done.stderr}")
    # py-spy prints its own lines after the side's.
    return json.loads(next(line for line in reversed(done.stdout.splitlines()) if line[:1] == "{"))


def top_functions(profile: Path, count: int = 10) -> str:
    """What py-spy saw (every thread that was not idle): the functions most samples were in
    themselves, and Publisher's own functions by the samples in them and what they called."""
    own: dict[str, int] = {}
    inside: dict[str, int] = {}
    total = 0
    for line in profile.read_text(encoding="utf-8").splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")[1:]]
        total += int(samples)
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + int(samples)
        for frame in set(frames):
            if "(publisher" in frame:
                inside[frame] = inside.get(frame, 0) + int(samples)
    ranked = [
        ("in itself", sorted(own.items(), key=lambda item: -item[1])[:count]),
        ("ours, with callees", sorted(inside.items(), key=lambda item: -item[1])[:count]),
    ]
    lines = [f"      profile: {total} samples"]
    for title, rows in ranked:
        lines.append(f"      {title}:")
        lines += [f"        {samples / total:5.1%}  {frame}" for frame, samples in rows]
    return "\n".join(lines)


# The projects -------------------------------------------------------------------------------


def _story() -> tuple[Path, str]:
    """The seed story when it is there, else an example story; and its id."""
    path = SEED if SEED.exists() else EXAMPLE
    return path, path.stem


def _publisher(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("publisher")), *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"publisher {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def make_project(folder: Path, port: int, subscribers: int, story: Path) -> Path:
    """A project with the story and `subscribers` readers, its state database made."""
    folder.mkdir(parents=True)
    (folder / "config").mkdir()
    (folder / "config" / "publisher.toml").write_text(
        CONFIG.format(port=port, connections=4), encoding="utf-8"
    )
    (folder / "stories").mkdir()
    shutil.copy2(story, folder / "stories" / story.name)
    readers = folder / "readers.csv"
    with readers.open("w", encoding="utf-8") as out:
        out.write("email\n")
        out.writelines(f"reader{n}@example.org\n" for n in range(subscribers))
    _publisher("subscribers", "import", str(readers), cwd=folder)
    readers.unlink()
    return folder


def fresh_copy(template: Path, into: Path, connections: int) -> Path:
    """The template project, untouched by earlier runs, with `connections` set."""
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(template, into)
    config = into / "config" / "publisher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("connections = 4", f"connections = {connections}"))
    return into


def one_copy(template: Path, into: Path) -> Path:
    """The bytes of one copy, as Publisher makes them, written to a file for the floor."""
    project = fresh_copy(template, into, 1)
    config = project / "config" / "publisher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.split("smtp = ")[0] + 'smtp = "outbox:outbox"\n', encoding="utf-8")
    state = project / "state" / "publisher.db"
    state.unlink()
    for name in ("publisher.db-wal", "publisher.db-shm"):
        (project / "state" / name).unlink(missing_ok=True)
    _publisher("subscribers", "add", "reader0@example.org", cwd=project)
    _publisher("publish", "--story", _story()[1], "--to", "newsletter", cwd=project)
    return next((project / "outbox").rglob("*.eml"))


def _sent(project: Path) -> int:
    import sqlite3

    with sqlite3.connect(project / "state" / "publisher.db") as db:
        return db.execute("SELECT count(*) FROM email_recipients WHERE status = 'sent'").fetchone()[
            0
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 subscribers")
    parser.add_argument("--sizes", help="comma-separated list sizes")
    parser.add_argument("--connections", default="4,16")
    parser.add_argument("--profile", type=Path, help="py-spy raw profiles into this folder")
    parser.add_argument("--side", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    os.environ["EMAIL_SIGNING_KEY"] = SIGNING_KEY
    if options.side:
        kind, *rest = options.side
        if kind == "publisher":
            result = side_publisher(Path(rest[0]), rest[1])
        else:
            result = side_floor(Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return

    sizes = [int(size) for size in options.sizes.split(",")] if options.sizes else (
        [2_000, 10_000] if options.quick else [20_000, 100_000]
    )  # fmt: skip
    connections = [int(n) for n in options.connections.split(",")]
    story, story_id = _story()
    sink = Sink()
    print(f"fan-out: {story.name} ({story.stat().st_size // 1024} KB story) to {sink.name}")
    try:
        with tempfile.TemporaryDirectory(prefix="publisher-fanout-") as temporary:
            work = Path(temporary)
            for size in sizes:
                template = make_project(work / f"template-{size}", sink.port, size, story)
                message = one_copy(template, work / "one-copy")
                print(f"  {size:,} subscribers, a {message.stat().st_size / 1024:.0f} KB copy each")
                for count in connections:
                    floor = _run_side("floor", str(message), str(sink.port), str(size), str(count))
                    project = fresh_copy(template, work / "run", count)
                    profile = None
                    if options.profile:
                        options.profile.mkdir(parents=True, exist_ok=True)
                        profile = options.profile / f"publisher-{size}-{count}.txt"
                    ours = _run_side("publisher", str(project), story_id, profile=profile)
                    sent = _sent(project)
                    if sent != size:
                        raise SystemExit(f"Publisher sent {sent} of {size}")
                    if profile is not None:
                        print(top_functions(profile))
                    ours_rate, floor_rate = size / ours["seconds"], size / floor["seconds"]
                    print(
                        f"    {count:>2} connections: Publisher {ours_rate:6.0f}/s "
                        f"{ours['peak_mb']:4.0f} MB {ours['cpu'] / size * 1e3:.2f} ms CPU/copy"
                        f"   smtplib floor {floor_rate:6.0f}/s {floor['peak_mb']:3.0f} MB "
                        f"{floor['cpu'] / size * 1e3:.2f} ms CPU/copy"
                        f"   ratio {ours_rate / floor_rate:.2f}"
                    )
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
