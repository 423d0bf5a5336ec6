"""The three input formats produce the same Story, and say where each value came from."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from publisher.story import Story
from support.project import EXAMPLES, STORY, Project

MARKDOWN_WITH_EVERYTHING = """\
---
id: ferry-fares
dek: Fares halve in January.
published: 2026-11-20
tags: [transport, open data]
related:
  - title: The Bridge That Emptied the Boats
    url: https://news.example.org/stories/bridge
    relation: background
---

# Harbour Ferries Cut Fares

The *authority* voted on Tuesday; the minutes are at
[the board's site](https://board.example.org/minutes) and https://board.example.org/raw.

## Empty Seats

Morning boats leave a third full.

- Route A
- Route B

## Frequently Asked

- When?
- In January.
- Passes?
- Refunded pro rata.

## Methodology

Built from 9 records.
"""


def story_json(project: Project, path) -> dict:
    result = project.run("story", str(path), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_markdown_front_matter_and_body_sections(project: Project) -> None:
    story = story_json(project, project.add_story("ferry.md", MARKDOWN_WITH_EVERYTHING))
    assert story["id"] == "ferry-fares"
    assert story["headline"] == "Harbour Ferries Cut Fares"
    assert [s["heading"] for s in story["sections"]] == ["", "Empty Seats"]
    assert story["sections"][0]["paragraphs"] == [
        "The authority voted on Tuesday; the minutes are at the board's site "
        "(https://board.example.org/minutes) and https://board.example.org/raw."
    ]
    assert story["sections"][1]["paragraphs"] == [
        "Morning boats leave a third full.",
        "Route A",
        "Route B",
    ]
    assert story["faq"] == [
        {"q": "When?", "a": "In January."},
        {"q": "Passes?", "a": "Refunded pro rata."},
    ]
    assert story["methodology"] == "Built from 9 records."
    assert story["related"][0]["relation"] == "background"
    assert story["published"] == "2026-11-20T00:00:00+01:00"  # a bare date, in the site's timezone
    assert story["url"] == "https://news.example.org/stories/ferry-fares"


def test_markdown_origins_name_lines(project: Project) -> None:
    result = project.run("story", str(project.add_story("ferry.md", MARKDOWN_WITH_EVERYTHING)))
    rows = {line.split("│")[1].strip(): line for line in result.out.splitlines() if "│" in line}
    assert "line 12" in rows["headline"]
    assert "line 2" in rows["id"]
    assert "site pattern" in rows["url"]


def test_json_story_matches_the_markdown_one(project: Project) -> None:
    markdown = story_json(project, project.root / "stories" / "night-market.md")
    as_json = {**markdown, "id": "night-market-json", "url": None}
    del as_json["url"]
    path = project.root / "stories" / "night-market-json.json"
    path.write_text(json.dumps(as_json, ensure_ascii=False), encoding="utf-8")
    from_json = story_json(project, path)
    assert {**from_json, "id": "night-market", "url": markdown["url"]} == markdown


def test_json_round_trip_of_story_output(project: Project, tmp_path) -> None:
    """`publisher story --json` prints a file the JSON loader reads back unchanged."""
    first = story_json(project, project.root / "stories" / "night-market.md")
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(first), encoding="utf-8")
    assert story_json(project, copy) == first


def test_text_export_structure(project: Project) -> None:
    path = project.add_story(
        "export.txt",
        "A Headline Without a Full Stop\n"
        "The dek ends with one.\n"
        "First Section\n"
        "A paragraph with a citation gap , closed up .\n"
        "Another paragraph in the same section.\n"
        "Second Section\n"
        "Its only paragraph.\n"
        "The story so far\n"
        "Things happened.\n"
        "Continue reading\n"
        "backgroundThe Earlier Story\n"
        "Its dek.\n"
        "Methodology\n"
        "Generated from 1,204 source records.\n",
    )
    story = story_json(project, path)
    assert story["headline"] == "A Headline Without a Full Stop"
    assert [(s["heading"], len(s["paragraphs"])) for s in story["sections"]] == [
        ("First Section", 2),
        ("Second Section", 1),
    ]
    assert story["sections"][0]["paragraphs"][0] == "A paragraph with a citation gap, closed up."
    assert story["related"] == [
        {"title": "The Earlier Story", "dek": "Its dek.", "url": None, "relation": "background"}
    ]
    assert story["source_count"] == 1204
    assert story["faq"] == []


def test_text_export_date_is_the_file_time_unless_given(project: Project) -> None:
    path = project.add_story("dated.txt", "Headline\nDek.\nSection\nParagraph.\n")
    when = datetime(2026, 11, 18, 9, 30, tzinfo=UTC).timestamp()
    os.utime(path, (when, when))
    assert story_json(project, path)["published"] == "2026-11-18T10:30:00+01:00"
    result = project.run("story", str(path), "--json", "--published", "2026-11-01T07:00:00+00:00")
    assert json.loads(result.out)["published"] == "2026-11-01T07:00:00Z"


def test_examples_load_in_every_format(project: Project) -> None:
    stories = {path.suffix: story_json(project, path) for path in sorted(EXAMPLES.iterdir())}
    assert set(stories) == {".md", ".json", ".txt"}
    japanese = stories[".json"]
    assert japanese["language"] == "ja" and "📚" in japanese["headline"]
    markdown = stories[".md"]
    assert any("https://" in p for s in markdown["sections"] for p in s["paragraphs"])
    assert max(len(entry["a"]) for entry in markdown["faq"]) > 1000
    assert stories[".txt"]["related"][1]["relation"] == "similar"


def test_normalises_whitespace_and_control_characters() -> None:
    story = Story.model_validate(
        {
            "id": "x",
            "headline": "  Two\r\nLines\tand\x07 a bell ",
            "url": "https://news.example.org/x",
            "published": "2026-11-20T08:00:00+00:00",
            "summary": "One.\n\n\n\nTwo\nstill two.",
        }
    )
    assert story.headline == "Two Lines and a bell"
    assert story.summary == "One.\n\nTwo still two."


def test_story_fixture_text_is_valid(project: Project) -> None:
    assert "Harbour Opens a Night Market" in STORY
    assert story_json(project, project.root / "stories" / "night-market.md")["faq"] == [
        {"q": "When does it open?", "a": "Fridays from six in the evening."}
    ]
