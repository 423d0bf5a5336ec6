"""`publisher plugin new NAME`: a plugin package to start from, written from the example plugin.

The package is `examples/plugin-webhook` (shipped inside the wheel) with its
names changed to NAME: a working webhook-style channel, its `pyproject.toml`
(entry point in the group `publisher`), a README, and tests that subclass the
channel contract. What the repository tests as the example is what authors get.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from publisher import defaults
from publisher.errors import InputError

EXAMPLE = "webhook"
# The example's files, as they are written into the new package (NAME for its name).
FILES = ("pyproject.toml", "README.md", "publisher_webhook.py", "tests/test_webhook.py")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME = 40


def check_name(name: str, channels: Mapping[str, object]) -> None:
    """A channel and distribution name: lower case, digits and single hyphens; not a channel
    that an installed plugin already registers (one of the two would not load)."""
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise InputError(
            f"'{name}' is not a plugin name: use at most {MAX_NAME} lower-case letters, digits "
            "and single hyphens, starting with a letter (such as telegram or team-chat)"
        )
    if name in channels:
        raise InputError(
            f"a channel named '{name}' is already installed (publisher plugins shows whose): "
            "choose another name"
        )


def names(name: str) -> dict[str, str]:
    """How NAME is written where the example writes `webhook` in each of its forms."""
    module = name.replace("-", "_")
    return {
        "publisher_webhook": f"publisher_{module}",
        "publisher-webhook": f"publisher-{name}",
        "test_webhook": f"test_{module}",
        "Webhook": "".join(word.capitalize() for word in name.split("-")),
        "WEBHOOK": module.upper(),
        "webhook": name,
    }


def renamed(text: str, name: str) -> str:
    """`text` with every form of the example's name replaced, in one pass (so that a NAME
    holding 'webhook' is never replaced twice)."""
    forms = names(name)
    pattern = re.compile("|".join(re.escape(form) for form in forms))
    return pattern.sub(lambda found: forms[found.group()], text)


def new_plugin(name: str, folder: Path | None, channels: Mapping[str, object]) -> list[Path]:
    """Write the package for NAME into `folder` (default ./publisher-NAME); the files written.

    Refuses a bad name, and a folder that exists: nothing is ever overwritten.
    """
    check_name(name, channels)
    folder = folder or Path(f"publisher-{name}")
    if folder.exists() or folder.is_symlink():
        raise InputError(f"{folder} already exists: plugin new writes a new folder only")
    template = defaults.plugin_template_dir()
    written = []
    for relative in FILES:
        target = folder / renamed(relative, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(renamed((template / relative).read_text("utf-8"), name), "utf-8")
        written.append(target)
    return written
