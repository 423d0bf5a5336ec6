"""The public API for plugin authors: `publisher`, `publisher.text`, `publisher.social` and
`publisher.testing`. The built-in channels and the example plugin use nothing else: when
they need more, the API grows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import publisher
from support.project import REPOSITORY

PUBLIC_MODULES = ("publisher", "publisher.text", "publisher.social", "publisher.testing")
OUTSIDE = ("plugins", "examples")


def private_imports(path: Path) -> list[str]:
    """Each import of the core beyond the public API in `path`, as `line: module.name`."""
    submodules = {name.removeprefix("publisher.") for name in PUBLIC_MODULES[1:]}
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "publisher":
            allowed = {*publisher.__all__, *submodules}
            names = [f"publisher.{alias.name}" for alias in node.names if alias.name not in allowed]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{node.lineno}: {name}"
            for name in names
            if name.startswith("publisher.") and name not in PUBLIC_MODULES
        ]
    return found


def test_plugins_and_examples_use_only_the_public_api() -> None:
    sources = sorted(path for folder in OUTSIDE for path in (REPOSITORY / folder).rglob("*.py"))
    assert len(sources) > 50, "every module of the built-in channels and the example is read"
    private = [
        f"{path.relative_to(REPOSITORY)}:{found}"
        for path in sources
        for found in private_imports(path)
    ]
    assert not private, "imports of the core beyond its public API:\n" + "\n".join(private)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from publisher.errors import InputError", ["1: publisher.errors"]),
        ("import publisher.edition", ["1: publisher.edition"]),
        ("from publisher import Channel, hookspecs", ["1: publisher.hookspecs"]),
        ("def f():\n    from publisher.workspace import Workspace", ["2: publisher.workspace"]),
        ("from publisher import InputError, single, text\nimport publisher.social", []),
    ],
)
def test_an_import_beyond_the_public_api_is_found(tmp_path: Path, source: str, found) -> None:
    plugin = tmp_path / "publisher_probe.py"
    plugin.write_text(source + "\n")
    assert private_imports(plugin) == found
