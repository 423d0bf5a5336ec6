"""Entry points and versions read from the metadata folders agree with importlib.metadata."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from publisher.distributions import entry_points, normalized, version


def _dist_info(folder: Path, name: str, version_: str, entry_points_txt: str | None) -> None:
    info = folder / f"{name.replace('-', '_')}-{version_}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version_}\n")
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt)


@pytest.mark.parametrize("group", ["publisher", "pytest11", "console_scripts"])
def test_what_is_installed_here_reads_as_importlib_metadata_reads_it(group: str) -> None:
    ours = {
        (point.name, point.value, normalized(point.distribution), point.version)
        for point in entry_points(group)
    }
    theirs = {
        (point.name, point.value, normalized(point.dist.name), point.dist.version)
        for point in importlib.metadata.entry_points(group=group)
        if point.dist is not None
    }
    assert ours == theirs
    assert version("publisher") == importlib.metadata.version("publisher")


def test_the_first_of_a_name_on_sys_path_hides_later_ones(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist_info(first, "Publisher-Notes", "2.0", "[publisher]\nnotes = notes_v2:plugin\n")
    _dist_info(second, "publisher_notes", "1.0", "[publisher]\nnotes = notes_v1\n")
    _dist_info(second, "other", "0.3", "# a comment\n[console_scripts]\nx = y:z\n")
    monkeypatch.setattr(sys, "path", [str(first), str(second), str(tmp_path / "missing")])

    points = entry_points("publisher")

    assert [(p.name, p.value, p.version) for p in points] == [("notes", "notes_v2:plugin", "2.0")]
    assert version("publisher-notes") == "2.0"
    assert version("Other") == "0.3"
    assert version("absent") is None


def test_an_egg_folder_without_a_version_in_its_name_is_read_from_pkg_info(
    tmp_path: Path, monkeypatch
) -> None:
    egg = tmp_path / "notes.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.2\nName: notes\nVersion: 0.9\n\nBody: x\n")
    (egg / "entry_points.txt").write_text("[publisher]\n notes = notes : plugin [extra]\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])

    [point] = entry_points("publisher")

    assert (point.name, point.version) == ("notes", "0.9")
    (tmp_path / "notes.py").write_text("plugin = 'loaded'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert point.load() == "loaded"  # the extra's marker is not part of the name


def test_a_zip_on_sys_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zipped-1.5.dist-info/METADATA", "Name: zipped\nVersion: 1.5\n")
        bundle.writestr("zipped-1.5.dist-info/entry_points.txt", "[publisher]\nzipped = z\n")
    monkeypatch.setattr(sys, "path", [str(archive)])

    assert [(p.name, p.version) for p in entry_points("publisher")] == [("zipped", "1.5")]
    assert version("zipped") == "1.5"


def test_an_old_egg_whose_metadata_is_a_single_file_is_read_not_fatal(
    tmp_path: Path, monkeypatch
) -> None:
    # As Debian's dist-packages hold some: `NAME-VERSION.egg-info` is PKG-INFO itself.
    (tmp_path / "oldpkg-1.0.egg-info").write_text("Metadata-Version: 1.1\nName: oldpkg\n")
    (tmp_path / "bare.egg-info").write_text("Metadata-Version: 1.1\nName: bare\nVersion: 2.1\n")
    _dist_info(tmp_path, "notes", "0.2", "[publisher]\nnotes = notes\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])

    assert [(p.name, p.version) for p in entry_points("publisher")] == [("notes", "0.2")]
    assert (version("oldpkg"), version("bare")) == ("1.0", "2.1")
