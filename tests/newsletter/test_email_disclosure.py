"""A story an AI model wrote says so in the email too, under its headline, in the HTML and
the text part of a digest and of a single story, in words a project can change."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

from support.mail import READERS, email_config
from support.project import Project

LINE = "Written by an AI model from 20 source records; no person reviewed it before publication."
FERRIES = {
    "id": "ferries",
    "headline": "Ferries Run All Night",
    "dek": "A late boat for the market crowd.",
    "summary": "The ferry company extends its timetable.",
    "faq": [{"q": "How late is the last boat?", "a": "Three in the morning."}],
    "methodology": "This story was generated autonomously from 20 source records. No human "
    "editorial judgment was applied.",
    "source_count": 20,
    "url": "https://news.example.org/stories/ferries",
    "published": "2026-11-21T18:00:00+01:00",
}


def received(project: Project, folder: str) -> tuple[str, str]:
    """The HTML and text a reader received, from the outbox's .eml file."""
    (path,) = (project.root / "outbox").glob(f"{folder}/{READERS[0]}.eml")
    message = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return " ".join(html.split()), " ".join(text.split())


def newsletter(project: Project) -> Project:
    project.write_config(email_config("outbox:outbox"))
    project.run("subscribers", "add", READERS[0])
    project.add_story("ferries.json", json.dumps(FERRIES))
    return project


def test_each_generated_story_of_a_digest_email_says_so_in_html_and_text(
    project: Project,
) -> None:
    newsletter(project)
    result = project.run("digest", "--since", "3650d", "--to", "newsletter")
    assert result.code == 0, result.err
    html, text = received(project, "digest-*")
    assert html.count(LINE) == 1 and text.count(LINE) == 1
    # Under the generated story, not the other one (its headline, after the preheader's).
    for body in (html, text):
        assert body.rindex("Ferries Run All Night") < body.index(LINE)
        assert body.index(LINE) < body.rindex("Harbour Opens a Night Market")


def test_the_single_story_email_says_so_under_its_headline(project: Project) -> None:
    newsletter(project)
    assert project.run("publish", "--story", "ferries", "--to", "newsletter").code == 0
    html, text = received(project, "story-ferries")
    assert html.index("Ferries Run All Night") < html.index(LINE) < html.index("Methodology.")
    assert text.index("A late boat") < text.index(LINE) < text.index("Methodology:")
    assert project.run("publish", "--story", "night-market", "--to", "newsletter").code == 0
    html, text = received(project, "story-night-market")
    assert "AI model" not in html and "AI model" not in text  # a person is responsible


def test_the_words_come_from_a_template_the_project_can_override(project: Project) -> None:
    newsletter(project)
    own = project.root / "templates" / "email" / "disclosure.txt"
    own.parent.mkdir(parents=True)
    own.write_text("Machine-written ({{ sources }} sources), unreviewed.", encoding="utf-8")
    result = project.run("digest", "--since", "3650d", "--to", "newsletter", "--dry-run", "--json")
    assert result.code == 0, result.err
    part = json.loads(result.out)["destinations"]["newsletter"]["parts"][0]
    assert "Machine-written (20 sources), unreviewed." in part["html"]
    assert "Machine-written (20 sources), unreviewed." in part["text"]


def test_a_project_template_that_leaves_the_disclosure_out_is_warned_about(
    project: Project,
) -> None:
    newsletter(project)
    own = project.root / "templates" / "email" / "digest.txt"
    own.parent.mkdir(parents=True)
    own.write_text(
        "{% for story in stories %}{{ story.headline }}\n{% endfor %}{{ unsubscribe_url }}"
    )
    result = project.run("digest", "--since", "3650d", "--to", "newsletter", "--dry-run")
    assert result.code == 0, result.err
    assert (
        "warning: newsletter: the text part does not say that an AI model wrote 'ferries': "
        "put {{ disclosures[story.id] }} under the story in the template"
    ) in result.err
