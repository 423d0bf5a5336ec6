"""`publisher init`: a working project folder from the embedded defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

from publisher import defaults
from publisher.errors import InputError


def init_project(folder: Path) -> list[Path]:
    """Copy the default config/ and templates/ into `folder` and make stories/; never overwrite."""
    sources = {
        folder / "config" / "publisher.toml": defaults.config_file(),
        **{
            folder / "templates" / path.relative_to(defaults.templates_dir()): path
            for path in sorted(defaults.templates_dir().rglob("*"))
            if path.is_file()
        },
    }
    existing = [target for target in sources if target.exists()]
    if existing:
        raise InputError(f"{existing[0]} already exists; init only writes into an empty project")
    for target, source in sources.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (folder / "stories").mkdir(exist_ok=True)
    return list(sources)
