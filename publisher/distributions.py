"""Installed distributions' entry points and versions, read from their metadata folders.

`importlib.metadata` answers the same questions, but importing it (with the
e-mail parser, zipfile and csv it brings) costs more than all of the rest of
`publisher --help`. Every distribution pip installs keeps its metadata in a
`NAME-VERSION.dist-info` (or `.egg-info`) folder in a folder on `sys.path`,
with its entry points in `entry_points.txt`: those are read here directly.
Anything else on `sys.path` (a zip file, say) may hold distributions only
`importlib.metadata` can read, so then it is asked instead. As
`importlib.metadata` does, the first distribution of a name on `sys.path`
hides any later one.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from functools import cache
from typing import Any, NamedTuple

_SUFFIXES = (".dist-info", ".egg-info")
_HEADERS = ("METADATA", "PKG-INFO")
_SEPARATORS = re.compile(r"[-_.]+")


class EntryPoint(NamedTuple):
    """One entry point: `name = module:attribute` in `group`, of a distribution."""

    name: str
    value: str
    group: str
    distribution: str
    version: str

    def load(self) -> Any:
        """Import the module and return the attribute it names (the module itself when none)."""
        module, _, attribute = self.value.partition(":")
        found: Any = importlib.import_module(module.strip())
        for part in filter(None, attribute.split("[")[0].strip().split(".")):
            found = getattr(found, part)
        return found


class _Distribution(NamedTuple):
    name: str
    version: str
    folder: str


def normalized(name: str) -> str:
    """A distribution's name as its index compares names (PEP 503): `Publisher_Email` is
    `publisher-email`."""
    return _SEPARATORS.sub("-", name).lower()


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point in `group` of every installed distribution, in `sys.path` order."""
    if not _readable():
        return _entry_points_from_importlib(group)
    found = []
    for distribution in _distributions(tuple(sys.path)):
        try:
            with open(os.path.join(distribution.folder, "entry_points.txt"), "rb") as file:
                text = file.read()
        except OSError:  # none, or an egg's metadata in a single file (no folder to look in)
            continue
        if group.encode() in text:  # skips, unparsed, the many distributions without the group
            found += _read(text.decode("utf-8"), group, distribution)
    return found


def version(name: str) -> str | None:
    """The installed version of the distribution `name`, or None when it is not installed."""
    if not _readable():
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            return installed(name)
        except PackageNotFoundError:
            return None
    wanted = normalized(name)
    for distribution in _distributions(tuple(sys.path)):
        if normalized(distribution.name) == wanted:
            return distribution.version
    return None


def _readable() -> bool:
    """Whether every entry of `sys.path` is a folder (or missing): then its distributions are
    all metadata folders this module reads."""
    return all(os.path.isdir(folder) for folder in sys.path if os.path.exists(folder))


@cache
def _distributions(path: tuple[str, ...]) -> tuple[_Distribution, ...]:
    """Each installed distribution, the first of each name on `path` (a `sys.path`: read
    again when it changes, as importlib.metadata reads it at every call).

    Plain strings and `os`, not `pathlib`: this runs before every command, over every
    file of the standard library's folder too."""
    seen: set[str] = set()
    found = []
    for folder in path:
        try:
            names = sorted(n for n in os.listdir(folder or ".") if n.endswith(_SUFFIXES))
        except OSError:  # a folder on sys.path that does not exist
            continue
        for name in names:
            distribution = _named(os.path.join(folder, name))
            if distribution is not None and normalized(distribution.name) not in seen:
                seen.add(normalized(distribution.name))
                found.append(distribution)
    return tuple(found)


def _named(entry: str) -> _Distribution | None:
    """The distribution a metadata folder holds: `NAME-VERSION.dist-info` says both in its
    name (PEP 427), which saves reading a file per installed distribution; an egg's folder
    may not, and then its PKG-INFO does."""
    name, _, rest = os.path.splitext(os.path.basename(entry))[0].partition("-")
    version = rest.split("-", 1)[0]
    if name and version:
        return _Distribution(name, version, entry)
    return _read_metadata(entry)


def _read_metadata(folder: str) -> _Distribution | None:
    """Name and version from the folder's METADATA (or an egg's PKG-INFO) headers; an old egg's
    `.egg-info` may be that file itself."""
    files = [folder] if os.path.isfile(folder) else [os.path.join(folder, f) for f in _HEADERS]
    for file in files:
        try:
            with open(file, encoding="utf-8", errors="replace") as text:
                headers: dict[str, str] = {}
                for line in text:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    key, _, value = line.partition(":")
                    headers.setdefault(key.strip().lower(), value.strip())
        except OSError:
            continue
        if headers.get("name"):
            return _Distribution(headers["name"], headers.get("version", "unknown"), folder)
    return None


def _read(text: str, group: str, distribution: _Distribution) -> list[EntryPoint]:
    """The entry points of `group` in an entry_points.txt (an INI file of `name = value`)."""
    found, section = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            found.append(
                EntryPoint(
                    name.strip(), value.strip(), group, distribution.name, distribution.version
                )
            )
    return found


def _entry_points_from_importlib(group: str) -> list[EntryPoint]:
    """What importlib.metadata finds, for a `sys.path` this module cannot read by itself."""
    from importlib.metadata import entry_points as found

    return [
        EntryPoint(
            point.name,
            point.value,
            group,
            point.dist.name if point.dist else "unknown",
            point.dist.version if point.dist else "unknown",
        )
        for point in found(group=group)
    ]
