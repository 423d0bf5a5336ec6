"""Dates and durations at the edges of what datetime holds are refused where they are read,
in one line with exit code 2, so that no later date arithmetic can overflow."""

from __future__ import annotations

import pytest

from support.project import STORY, Project

EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1899-12-31", "2201-01-01"]


@pytest.mark.parametrize("published", EDGES)
def test_a_story_dated_outside_1900_to_2200_is_refused_before_anything_renders(
    project: Project, published: str
) -> None:
    path = project.add_story(
        "edge.md",
        STORY.replace("2026-11-20T18:00:00+01:00", published).replace("tags", "id: edge\ntags"),
    )
    said = f"{path}:4: bad date in 'published': "
    for args in (
        ("story", str(path)),
        ("publish", "--story", "edge", "--dry-run"),
        ("preview", "--story", "edge", "--out", str(project.root / "preview")),
    ):
        result = project.run(*args)
        assert result.code == 2, (args, result.out, result.err)
        assert said in result.err and "is not between the years 1900 and 2200" in result.err
        assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert project.posts() == []


def test_the_years_1900_and_2200_themselves_are_fine(project: Project) -> None:
    for year, name in ((1900, "first"), (2200, "last")):
        text = STORY.replace("2026-11-20T18:00:00+01:00", f"{year}-01-01T00:00:00+14:00")
        project.add_story(f"{name}.md", text)
        result = project.run("publish", "--story", name, "--dry-run")
        assert result.code == 0, result.err


@pytest.mark.parametrize("since", ["99999999d", "36526d", "9" * 5000 + "w", "999999999999w"])
def test_a_digest_window_longer_than_100_years_is_refused_in_one_line(
    project: Project, since: str
) -> None:
    result = project.run("digest", "--since", since, "--dry-run")
    assert result.code == 2, result.out + result.err
    assert "error: --since: '" in result.err
    assert "is longer than the 36525d (100 years) a duration may be" in result.err
    assert len(result.err.strip().splitlines()) == 1 and len(result.err) < 200


def test_a_window_of_100_years_reaches_back_safely(project: Project) -> None:
    result = project.run("digest", "--since", "36525d", "--dry-run")
    assert result.code == 0, result.err
    assert "Harbour Opens a Night Market" in result.out


def test_a_configured_window_longer_than_100_years_fails_check_not_the_digest(
    project: Project,
) -> None:
    project.write_config(
        project.config.read_text("utf-8").replace(
            'timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\ndigest_since = "99999999d"'
        )
    )
    for args in (("check",), ("digest", "--dry-run")):
        result = project.run(*args)
        assert result.code == 2, result.out + result.err
        assert "site.digest_since: '99999999d' is longer than the 36525d" in result.err
        assert "Traceback" not in result.err


def test_a_publish_at_beyond_2200_is_refused(project: Project) -> None:
    result = project.run("publish", "--story", "night-market", "--at", "9999-12-31T23:59:59-12:00")
    assert result.code == 2, result.out + result.err
    assert "'9999-12-31T23:59:59-12:00' is not between the years 1900 and 2200" in result.err
    assert "Nothing is scheduled" in project.run("schedule", "list").out
