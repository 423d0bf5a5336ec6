"""`generated` and `posts`: read from every format, and from the methodology when not given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.project import STORY, Project

GENERATED = (
    "This story was generated autonomously from 20 source records. An editorial model "
    "synthesizes, weights, and cites each source. No human editorial judgment was applied."
)
MARKDOWN = STORY + "\n## Methodology\n\n" + GENERATED + "\n"


def story_json(project: Project, path: Path) -> dict:
    result = project.run("story", str(path), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def origins(project: Project, path: Path) -> dict[str, str]:
    result = project.run("story", str(path))
    rows = [line.split("│") for line in result.out.splitlines() if line.count("│") == 4]
    return {cells[1].strip(): cells[3].strip() for cells in rows if cells[1].strip()}


def test_the_export_says_generated_when_its_methodology_does(project: Project, sample) -> None:
    assert story_json(project, sample)["generated"] is True
    assert origins(project, sample)["generated"].startswith("line ")


def test_markdown_reads_it_from_the_methodology_section(project: Project) -> None:
    path = project.add_story("market.md", MARKDOWN)
    assert story_json(project, path)["generated"] is True
    assert (
        origins(project, path)["generated"]
        == f"line {MARKDOWN.splitlines().index('## Methodology') + 1}"
    )


def test_front_matter_has_the_last_word(project: Project) -> None:
    path = project.add_story(
        "market.md", MARKDOWN.replace("---\n\n", "generated: false\n---\n\n", 1)
    )
    assert story_json(project, path)["generated"] is False


def test_json_sets_it_or_reads_it_from_the_methodology(project: Project) -> None:
    base = {"headline": "Ferries Cut Fares", "published": "2026-11-20"}
    said = project.add_story("said.json", json.dumps({**base, "generated": True}))
    read = project.add_story("read.json", json.dumps({**base, "methodology": GENERATED}))
    edited = project.add_story(
        "edited.json", json.dumps({**base, "methodology": "Compiled by our desk."})
    )
    assert story_json(project, said)["generated"] is True
    assert story_json(project, read)["generated"] is True
    assert story_json(project, edited)["generated"] is False


def test_a_story_with_a_person_responsible_is_not_generated(project: Project) -> None:
    for name in ("harbour-ferry-fares.txt", "night-trains-return.md", "tokyo-library-night.json"):
        path = Path(__file__).resolve().parents[1] / "examples" / "stories" / name
        assert story_json(project, path)["generated"] is False, name


def test_hand_written_posts_come_from_front_matter_and_json(project: Project) -> None:
    markdown = STORY.replace(
        "---\n\n",
        'posts:\n  x: ["Open tonight.", "Fridays from six."]\n  mastodon: ["Open."]\n---\n\n',
        1,
    )
    posts = story_json(project, project.add_story("market.md", markdown))["posts"]
    assert posts == {"x": ["Open tonight.", "Fridays from six."], "mastodon": ["Open."]}
    data = {"headline": "Ferries", "published": "2026-11-20", "posts": {"x": ["Cheaper boats."]}}
    assert story_json(project, project.add_story("ferry.json", json.dumps(data)))["posts"] == {
        "x": ["Cheaper boats."]
    }


@pytest.mark.parametrize(
    ("posts", "reason"),
    [
        ('  x: ["Open tonight.", "  "]', "posts, x entry 2: must not be empty"),
        ('  X!: ["Open tonight."]', "'X!' is not a channel name such as x or mastodon"),
        ('  x: "Open tonight."', "posts, x: Input should be a valid list"),
    ],
)
def test_bad_hand_written_posts_are_refused_with_their_line(
    project: Project, posts: str, reason: str
) -> None:
    markdown = STORY.replace("---\n\n", f"posts:\n{posts}\n---\n\n", 1)
    path = project.add_story("market.md", markdown)
    result = project.run("story", str(path))
    assert result.code == 2
    assert result.err.startswith(f"error: {path}:")
    assert reason in result.err, result.err
    assert "Traceback" not in result.err
