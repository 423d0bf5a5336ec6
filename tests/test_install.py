"""Installing without the Makefile, in fresh virtual environments, with pip and nothing else:
the core alone, the core with every channel (the README's command, and `publisher[all]`
from an index), and a plugin that `publisher plugin new` wrote.

Each environment is made once for the tests that use it; pip works offline (see
support/venvs.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from support.project import EXAMPLES, REPOSITORY
from support.venvs import CHANNELS, Venv, dependencies

pytestmark = pytest.mark.slow

README = (REPOSITORY / "README.md").read_text("utf-8")
CHECKOUT_COMMAND = "pip install . ./plugins/email ./plugins/mastodon ./plugins/x ./plugins/bluesky"
MISSING = re.compile(
    r"note: the (\w+) channel is not installed, so the embedded defaults leave out "
    r"destination (\w+) \(pip install (publisher-\w+)\)"
)


@pytest.fixture(scope="module")
def installed_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dependencies(tmp_path_factory.mktemp("installed-here"))


def new_venv(tmp_path_factory: pytest.TempPathFactory, installed_here: Path) -> Venv:
    return Venv.create(tmp_path_factory.mktemp("venv") / "venv", installed_here)


def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the example stories and no configuration: the embedded defaults."""
    folder = tmp_path_factory.mktemp("project")
    shutil.copytree(EXAMPLES, folder / "stories")
    return folder


def channels(venv: Venv, cwd: Path) -> dict[str, list[str]]:
    """`publisher plugins --json`: each plugin's channels."""
    result = venv.publisher("plugins", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row["channels"] for row in json.loads(result.stdout) if row["channels"]}


@pytest.fixture(scope="module")
def core_only(tmp_path_factory: pytest.TempPathFactory, installed_here: Path) -> Venv:
    venv = new_venv(tmp_path_factory, installed_here)
    venv.pip("install", ".")
    return venv


@pytest.fixture(scope="module")
def every_channel(tmp_path_factory: pytest.TempPathFactory, installed_here: Path) -> Venv:
    """Installed as the README says, from this checkout."""
    venv = new_venv(tmp_path_factory, installed_here)
    venv.pip(*CHECKOUT_COMMAND.split()[1:])
    return venv


@pytest.mark.parametrize("command", [["digest"], ["check"], ["status"]])
def test_the_core_alone_runs_the_defaults_and_names_each_missing_channel(
    core_only: Venv, tmp_path_factory: pytest.TempPathFactory, command: list[str]
) -> None:
    folder = project(tmp_path_factory)
    assert channels(core_only, folder) == {}

    result = core_only.publisher(*command, cwd=folder)

    assert result.returncode == 0, result.stdout + result.stderr
    missing = MISSING.findall(result.stderr)
    assert sorted(missing) == [
        ("bluesky", "bluesky", "publisher-bluesky"),
        ("email", "newsletter", "publisher-email"),
        ("mastodon", "fediverse", "publisher-mastodon"),
        ("x", "x", "publisher-x"),
    ]
    assert "error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_channels_destination_is_refused_by_name(
    core_only: Venv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    result = core_only.publisher("digest", "--to", "newsletter", cwd=project(tmp_path_factory))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: destination 'newsletter' needs the email channel, which is not installed "
        "(pip install publisher-email)"
    )


def test_the_readmes_one_command_installs_every_channel(
    every_channel: Venv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert f"\n{CHECKOUT_COMMAND}\n" in README
    folder = project(tmp_path_factory)
    assert sorted(c for found in channels(every_channel, folder).values() for c in found) == sorted(
        CHANNELS
    )
    added = every_channel.publisher(
        "subscribers", "add", "ada@example.org", "--to", "newsletter", cwd=folder
    )
    assert added.returncode == 0, added.stderr

    result = every_channel.publisher("digest", "--since", "3650d", cwd=folder)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "not installed" not in result.stderr
    assert "newsletter: sent" in result.stdout
    [copy] = (folder / "outbox").rglob("ada@example.org.eml")
    assert "Night Trains" in copy.read_text("utf-8")


def test_publisher_all_installs_every_channel_from_an_index(
    tmp_path_factory: pytest.TempPathFactory, installed_here: Path
) -> None:
    """An index is stood in for by a folder of the wheels, found by name (--find-links)."""
    assert "\npip install 'publisher[all]'\n" in README
    wheels = tmp_path_factory.mktemp("index")
    builder = new_venv(tmp_path_factory, installed_here)
    builder.pip("wheel", "--no-deps", "-w", str(wheels), ".", *(f"plugins/{c}" for c in CHANNELS))
    assert len(list(wheels.glob("*.whl"))) == 1 + len(CHANNELS)
    venv = new_venv(tmp_path_factory, installed_here)

    venv.pip("install", "--find-links", str(wheels), "publisher[all]", cwd=wheels)

    found = channels(venv, wheels)
    assert sorted(c for listed in found.values() for c in listed) == sorted(CHANNELS)


def test_a_generated_plugin_installs_shows_and_passes_its_own_tests(
    tmp_path_factory: pytest.TempPathFactory, installed_here: Path
) -> None:
    venv = new_venv(tmp_path_factory, installed_here)
    venv.pip("install", ".")
    folder = tmp_path_factory.mktemp("author")
    written = venv.publisher("plugin", "new", "relay", cwd=folder)
    assert written.returncode == 0, written.stderr
    package = folder / "publisher-relay"

    venv.pip("install", f"{package}[test]", cwd=folder)

    listed = venv.publisher("plugins", "--json", cwd=folder)
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["relay"]["version"] == "0.1.0"
    assert rows["relay"]["channels"] == ["relay"]
    assert rows["relay"]["error"] is None
    tests = venv.run(venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in [\d.]+s( \(.*\))?", summary), summary
    assert int(summary.split()[0]) >= 30  # the contract's checks and the plugin's own
