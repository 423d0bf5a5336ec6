"""Where the configuration is found: here or in the nearest parent folder, as git finds .git;
without one, the embedded defaults, and Publisher says where they will write."""

from __future__ import annotations

import pytest

from publisher.cli import main
from publisher.config import find_config
from publisher.workspace import Workspace
from support.project import REPOSITORY, Project, recorder_config


def _run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_configuration_is_found_from_a_subfolder(project: Project, monkeypatch, capsys):
    deep = project.root / "stories" / "drafts" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)

    code, out, err = _run(capsys, "check")
    published = _run(capsys, "publish", "--story", "night-market")

    assert code == 0, out + err
    assert out.startswith(f"configuration: {project.config} (project folder {project.root})\n")
    assert f"stories: {project.root / 'stories'} (1 files)" in out
    assert err == ""
    assert published[0] == 0 and len(project.posts()) == 3
    assert not (deep / "state").exists() and (project.root / "state").is_dir()


def test_config_and_the_environment_still_win(project: Project, tmp_path, monkeypatch, capsys):
    other = Project(tmp_path / "other", project.capsys)
    other.write_config(recorder_config().replace('"Test News"', '"Other News"'))
    monkeypatch.chdir(project.root / "stories")

    given = _run(capsys, "--config", str(other.config), "check")
    monkeypatch.setenv("PUBLISHER_CONFIG", str(other.config))
    from_environment = _run(capsys, "check")

    for code, out, _ in (given, from_environment):
        assert code == 0
        assert out.startswith(f"configuration: {other.config} ")


def test_without_a_configuration_the_defaults_say_where_they_write(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    notice = (
        f"note: no config/publisher.toml in {tmp_path} or a folder above it, so the embedded "
        f"defaults apply here: state in {tmp_path}/state/publisher.db, email (unless SMTP_URL "
        f"is set) in {tmp_path}/outbox/ (publisher init writes a configuration)\n"
    )

    first = _run(capsys, "status")
    second = _run(capsys, "status")

    assert first[0] == 0 and first[2] == notice
    assert (tmp_path / "state" / "publisher.db").is_file()
    assert second[0] == 0 and second[2] == "", "said until the state database was made"
    assert second[1] == first[1] and "Nothing has been published yet." in first[1]


def test_a_dry_run_on_the_defaults_says_so_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "a.md").write_text("---\nheadline: A\n---\n\n## B\n\nC.\n")

    code, shown, err = _run(capsys, "publish", "--story", "a", "--to", "fediverse", "--dry-run")

    assert code == 0 and "fediverse (mastodon)" in shown, err
    assert err.startswith("note: no config/publisher.toml in ") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stories"]


@pytest.mark.parametrize("folder", ["examples", "examples/stories", "."])
def test_the_shipped_defaults_file_is_not_a_project(folder: str) -> None:
    """`make demo` runs in demo/ inside the repository, whose config/ holds the embedded
    defaults: found on the way up, they apply to the folder the user is in."""
    cwd = REPOSITORY / folder

    workspace = Workspace.open(cwd=cwd)

    assert find_config(None, cwd) is None
    assert workspace.config.path is None and workspace.config.root == cwd.resolve()
    assert workspace.stories_dir == cwd.resolve() / "stories"
