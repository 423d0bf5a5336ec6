"""The public API for plugin authors: `publisher`, `publisher.text`, `publisher.social` and
`publisher.testing`. The built-in channels and the example plugin use nothing else: when
they need more, the API grows."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import io
import itertools
from pathlib import Path
from types import FunctionType, ModuleType

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


# Every public name has a docstring with an example, and the examples run ---------------------


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _attribute_docstrings(module: ModuleType) -> dict[str, str]:
    """The string right after a module-level assignment (`NAME = ...`, then `\"\"\"...\"\"\"`), the
    place a constant or a type alias keeps its docstring."""
    tree = ast.parse(inspect.getsource(module))
    found = {}
    for assignment, following in itertools.pairwise(tree.body):
        targets = (
            [assignment.target]
            if isinstance(assignment, ast.AnnAssign)
            else getattr(assignment, "targets", [])
        )
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found.update({t.id: following.value.value for t in targets if isinstance(t, ast.Name)})
    return found


def _home(module: ModuleType, name: str) -> ModuleType:
    """The module that defines `name`: a public module may re-export it from one below."""
    value = getattr(module, name)
    home = getattr(value, "__module__", None)
    if isinstance(value, type | FunctionType) and home:
        return _module(home)
    for node in ast.walk(ast.parse(inspect.getsource(module))):  # under TYPE_CHECKING too
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            return _module(node.module or "")
    return module


def docstring(module: ModuleType, name: str) -> str:
    """A public name's own docstring (a class's, not one it inherits)."""
    value = getattr(module, name)
    if isinstance(value, type):
        return value.__dict__.get("__doc__") or ""
    attribute = _attribute_docstrings(_home(module, name)).get(name)
    if attribute is not None:
        return attribute
    return (value.__doc__ or "") if callable(value) else ""  # functions, pytest's fixtures


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring_with_an_example(name: str) -> None:
    module = _module(name)
    assert module.__all__, f"{name} says what is public with __all__"
    lacking = [
        public
        for public in module.__all__
        if ">>>" not in (text := docstring(module, public)) and "Example" not in text
    ]
    assert not lacking, f"{name}: public names without a docstring with an example: {lacking}"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_the_examples_in_the_public_docstrings_run(name: str) -> None:
    module = _module(name)
    finder, parser = doctest.DocTestFinder(), doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    names = dict(vars(module))  # as `doctest.testmod` gives them: the module's own names
    tests = finder.find(module, name, globs=names)
    for public in module.__all__:
        value = getattr(module, public)
        # A name re-exported from a module below runs its examples among the public module's
        # names and those of the module that defines it (as `doctest.testmod` of it would).
        home = {**vars(_home(module, public)), **names}
        if isinstance(value, type | FunctionType):
            tests += finder.find(value, f"{name}.{public}", globs=home)
        else:
            text = docstring(module, public)
            tests.append(parser.get_doctest(text, home, f"{name}.{public}", name, 0))
    ran = set()
    report = io.StringIO()
    for test in tests:
        if test.examples and test.name not in ran:
            ran.add(test.name)
            runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_docs_name_the_whole_public_api_with_examples_from_the_docstrings() -> None:
    documentation = (REPOSITORY / "docs" / "plugins.md").read_text()
    section = documentation[documentation.index("## The public API") :]
    section = section[: section.index("\n## ", 1)]
    missing = [
        f"{name}.{public}"
        for name in PUBLIC_MODULES
        for public in _module(name).__all__
        if f"`{public}`" not in section
    ]
    assert not missing, f"docs/plugins.md does not list {missing}"
    examples = [block.split("\n```", 1)[0] for block in section.split("```python\n")[1:]]
    assert len(examples) == 2
    for example in examples:
        assert any(
            example.strip() in docstring(_module(name), public)
            or example.strip() in inspect.cleandoc(docstring(_module(name), public))
            for name in PUBLIC_MODULES
            for public in _module(name).__all__
        ), f"docs/plugins.md shows an example no docstring has (so no test runs):\n{example}"
