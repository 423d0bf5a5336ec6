"""docs/architecture.md is the map of the core: every module is on it and in a layer.

`make lint` checks the layers themselves (import-linter, configured in
pyproject.toml); these tests keep the contract and the map complete, so that a
new module cannot slip past both.
"""

from __future__ import annotations

import re
import tomllib

import grimp

from support.project import REPOSITORY

PACKAGE = REPOSITORY / "publisher"


def _modules() -> set[str]:
    """The core's modules and packages, by their name under publisher/ (migrations/ holds
    Alembic's revision files, not a package)."""
    found = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    found |= {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    return found


def _layers() -> list[str]:
    config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def test_every_module_is_in_a_layer() -> None:
    layered = {name.strip() for layer in _layers() for name in re.split(r"[|:]", layer)}
    assert _modules() - layered == set(), f"modules in no layer: {_modules() - layered}"
    assert layered <= _modules(), f"layers naming no module: {layered - _modules()}"


def test_every_module_is_on_the_map() -> None:
    documentation = (REPOSITORY / "docs" / "architecture.md").read_text()
    missing = [
        name
        for name in sorted(_modules())
        if f"`{name}.py`" not in documentation and f"`{name}/" not in documentation
    ]
    assert not missing, f"docs/architecture.md does not say what these do: {missing}"
    for layer in _layers():
        drawn = " │ ".join(
            f"{name.strip()}/" if (PACKAGE / name.strip()).is_dir() else name.strip()
            for name in layer.split("|")
        )
        assert drawn in documentation, f"docs/architecture.md does not draw the layer {layer}"


def test_nothing_in_the_core_imports_the_public_api_package() -> None:
    """publisher/__init__.py imports nearly everything: a module below importing it would
    import the layers above it."""
    graph = grimp.build_graph("publisher", exclude_type_checking_imports=True)
    assert graph.find_modules_that_directly_import("publisher") == set()
