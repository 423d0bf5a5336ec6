"""The plain-text loader reads the real export in ../shared/samples exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.story import Story


@pytest.fixture
def story(project, sample: Path) -> Story:
    result = project.run("story", str(sample), "--json")
    assert result.code == 0, result.err
    return Story.model_validate_json(result.out)


def test_headline_and_dek(story: Story) -> None:
    assert story.headline == "The Open Source Compact Is Breaking From Both Directions"
    assert story.dek.startswith("Chinese labs that built their reputations on open weights")
    assert story.dek.endswith("turned model-hoarding into a rallying cry.")


def test_five_sections_with_their_headings(story: Story) -> None:
    assert [section.heading for section in story.sections] == [
        "Deprecation as Political Act",
        "Openness as a Position, Not a Principle",
        "The Infrastructure Cost No Lab Is Paying",
        "What the Grievance Is Actually About",
        "The Standard the Community Has to Apply to Itself",
    ]
    assert all(len(section.paragraphs) == 1 for section in story.sections)
    assert story.sections[0].paragraphs[0].startswith("When OpenAI moved to deprioritize GPT-4o")


def test_summary(story: Story) -> None:
    assert story.summary.startswith("The open source AI community's organizing claim")
    assert story.summary.endswith("as Chinese labs reverse course.")


def test_three_faq_pairs(story: Story) -> None:
    assert [entry.question for entry in story.faq] == [
        "Why do AI labs open source their models and then stop?",
        "What should I do as an open source maintainer when AI agents start submitting "
        "pull requests to my project?",
        "What is the strongest argument against criticizing OpenAI for not releasing "
        "GPT-4o weights?",
    ]
    assert story.faq[0].answer.startswith("Openness tracks competitive position.")
    assert story.faq[2].answer.endswith("into a political one.")


def test_related_titles_lose_the_glued_label(story: Story) -> None:
    assert [(item.title, item.relation) for item in story.related] == [
        (
            "Google's Gemma 4 Is Apache 2.0, but the Community Is Still Asking the Old Questions",
            None,
        ),
        ("OpenClaw's Star Count Is a Developer Vote, Not a Vibe", "similar"),
        ("Open Source AI's Vocabulary Problem: One Term, Four Incompatible Meanings", "similar"),
        (
            "GLM-5.1 Topped the Coding Benchmark. The Industry Rationalizations Started "
            "Immediately.",
            "similar",
        ),
    ]
    assert story.related[1].dek.startswith("The fastest-growing repo in GitHub history")


def test_methodology_and_source_count(story: Story) -> None:
    assert story.source_count == 20
    assert story.methodology.startswith("This story was generated autonomously from 20 source")


def test_citation_gaps_are_closed(story: Story) -> None:
    first = story.sections[0].paragraphs[0]
    assert "no longer wanted to carry." in first
    assert "carry ." not in first
    assert "benchmark-beating results," in story.sections[4].paragraphs[0]
    everything = story.model_dump_json()
    assert " ." not in everything and " ," not in everything


def test_url_follows_the_site_pattern_and_origins_are_shown(project, sample: Path) -> None:
    result = project.run("story", str(sample), "--json")
    assert Story.model_validate_json(result.out).url == (
        "https://news.example.org/stories/open-source-compact"
    )
    result = project.run("story", str(sample))
    assert result.code == 0
    assert "file modification time" in result.out
    assert "site pattern" in result.out
    assert "line 1" in result.out
