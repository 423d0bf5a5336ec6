"""Previews: every destination's rendition as files, with an index page to compare them.

Also the JSON shape of renditions that `--dry-run --json` prints.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from publisher.channel import Destination, Rendition
from publisher.errors import InputError
from publisher.templates import Templates


def renditions_json(renditions: Mapping[Destination, Rendition]) -> dict[str, Any]:
    """`{"destinations": {NAME: {"channel": ..., "parts": [...]}}}`, for scripts and review;
    a destination that charges per post also has its `cost`."""
    destinations: dict[str, Any] = {}
    for destination, rendition in renditions.items():
        shown: dict[str, Any] = {
            "channel": destination.channel,
            "parts": [part.as_json() for part in rendition.parts],
            "warnings": list(rendition.warnings),
        }
        if rendition.cost is not None:
            shown["cost"] = rendition.cost.as_json()
        destinations[destination.name] = shown
    return {"destinations": destinations}


MARKER = ".publisher-preview"


def write_preview(
    out: Path, renditions: Mapping[Destination, Rendition], templates: Templates
) -> Path:
    """Write a file per destination and part, and `index.html` showing them side by side.

    The folder holds this preview and nothing else: an earlier preview is
    removed first, and a folder that holds anything but a preview is refused.
    """
    _clear(out)
    columns = []
    for destination, rendition in renditions.items():
        folder = out / destination.name
        folder.mkdir(parents=True, exist_ok=True)
        parts = []
        for number, part in enumerate(rendition.parts, start=1):
            stem = f"part-{number:02d}"
            (folder / f"{stem}.txt").write_text(part.text, encoding="utf-8")
            html = part.extra.get("html")
            if html:
                (folder / f"{stem}.html").write_text(html, encoding="utf-8")
            parts.append(
                {
                    "number": number,
                    "part": part,
                    "text_file": f"{destination.name}/{stem}.txt",
                    "html_file": f"{destination.name}/{stem}.html" if html else None,
                }
            )
        columns.append({"destination": destination, "rendition": rendition, "parts": parts})
    (out / MARKER).write_text("Written by `publisher preview`; replaced by the next one.\n")
    index = out / "index.html"
    index.write_text(templates.render("preview/index.html", columns=columns), encoding="utf-8")
    return index


def _clear(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise InputError(
                f"--out {out}: the folder holds other files; give a new or empty folder"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
