"""A digest's cost against the size of the archive: `publisher digest --dry-run` over 1,000,
5,000 and 20,000 story files, first with an empty story index, then indexed.

    .venv/bin/python bench/digest.py            # 1,000, 5,000 and 20,000 files
    .venv/bin/python bench/digest.py --quick    # 1,000 and 5,000

The files are copies of the seed story (else an example story) in the plain-text export
format, written into a temporary folder, dated a day apart back from today by their
modification time (the format carries no date); the last week's seven make the digest.
Each run is a `publisher` process of its own; its wall time and peak memory (ru_maxrss)
are reported, the indexed figure as the median of 5.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from publisher.story_index import RACY

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "samples" / "open-source-compact.txt"
EXAMPLE = ROOT / "examples" / "stories" / "harbour-ferry-fares.txt"
PUBLISHER = Path(sys.executable).with_name("publisher")
DAY = 86_400


def make_archive(folder: Path, count: int) -> None:
    """`count` stories, one a day back from now, with the embedded default configuration."""
    (folder / "config").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "publisher.toml", folder / "config" / "publisher.toml")
    stories = folder / "stories"
    stories.mkdir()
    seed = (SEED if SEED.exists() else EXAMPLE).read_text(encoding="utf-8")
    headline, rest = seed.split("\n", 1)
    now = time.time()
    for n in range(count):
        path = stories / f"story-{n:05d}.txt"
        path.write_text(f"{headline} (number {n})\n{rest}", encoding="utf-8")
        when = now - DAY * n - 3600
        os.utime(path, (when, when))


def run(folder: Path) -> tuple[float, float]:
    """(seconds, peak MB) of one `publisher digest --dry-run` in `folder`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(PUBLISHER), "digest", "--dry-run"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"digest --dry-run failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 and 5,000 files")
    options = parser.parse_args()
    sizes = [1_000, 5_000] if options.quick else [1_000, 5_000, 20_000]
    print("digest --dry-run over an archive (copies of the seed story, one a day):")
    with tempfile.TemporaryDirectory(prefix="publisher-digest-") as temporary:
        for count in sizes:
            folder = Path(temporary) / f"archive-{count}"
            make_archive(folder, count)
            time.sleep(RACY / 1e9)  # files just written are not trusted by the index yet
            cold, cold_mb = run(folder)  # every file parsed, and indexed
            indexed = [run(folder) for _ in range(5)]
            seconds = statistics.median(s for s, _ in indexed)
            peak = max(mb for _, mb in indexed)
            print(
                f"  {count:>6,} files: first run {cold:6.2f} s {cold_mb:4.0f} MB   "
                f"indexed {seconds:5.2f} s {peak:4.0f} MB"
            )
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
