"""What the email looks like before it is sent: `publish --dry-run --json`, and the digest."""

from __future__ import annotations

import json
import re

import pytest

from support.mail import email_config

MARKUP = {
    "id": "markup",
    "headline": "Why x < y & </mj-text> <script>alert(1)</script> Matter",
    "dek": "Tags like <b>bold</b> must show as text.",
    "summary": "A & B < C > D \"quoted\" 'single'.",
    "sections": [{"heading": "</mj-column> Escapes", "paragraphs": ["<mj-raw>raw</mj-raw>"]}],
    "faq": [{"q": "Is <i>this</i> safe?", "a": "Yes & always."}],
    "url": "https://news.example.org/stories/markup",
    "published": "2026-11-20T18:00:00+01:00",
}


def _email(project, *args: str) -> tuple[dict, dict]:
    result = project.run(*args, "--dry-run", "--json")
    assert result.code == 0, result.err
    destination = json.loads(result.out)["destinations"]["newsletter"]
    (part,) = destination["parts"]
    return part, destination


@pytest.fixture
def outbox_project(project):
    project.write_config(email_config("outbox:outbox"))
    return project


def test_story_text_is_escaped_before_mjml_sees_it(outbox_project):
    outbox_project.add_story("markup.json", json.dumps(MARKUP))

    part, _ = _email(outbox_project, "publish", "--story", "markup")

    html = part["html"]
    assert "<script>" not in html and "<b>bold</b>" not in html and "<i>this</i>" not in html
    assert "x &lt; y &amp; &lt;/mj-text&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/mj-column&gt; Escapes" in html and "&lt;mj-raw&gt;raw&lt;/mj-raw&gt;" in html
    assert "Tags like &lt;b&gt;bold&lt;/b&gt; must show as text." in html
    # The text part is plain text: written from the same values, nothing to escape.
    assert MARKUP["headline"] in part["text"] and "Is <i>this</i> safe?" in part["text"]
    assert part["subject"] == MARKUP["headline"]


def test_the_single_story_email_has_every_part_of_the_story(outbox_project, sample):
    part, destination = _email(outbox_project, "publish", "--story", str(sample))

    html, text = part["html"], part["text"]
    for expected in (
        "The Open Source Compact Is Breaking From Both Directions",
        "Chinese labs that built their reputations on open weights",  # dek
        "THE STORY SO FAR",
        "Deprecation as Political Act",  # a section
        "Why do AI labs open source their models and then stop?",  # the FAQ
        "Continue reading",
        "OpenClaw&#39;s Star Count Is a Developer Vote, Not a Vibe",
        "This story was generated autonomously from 20 source",  # methodology
        "Unsubscribe",
        "View in browser",
        "1 Harbour Road<br />Portville",  # the postal address from the configuration
    ):
        assert expected in html, expected
    for expected in ("Why do AI labs open source", "CONTINUE READING", "Methodology:", "Portville"):
        assert expected in text, expected
    assert destination["warnings"] == []
    preheader = re.search(r'<div style="display:none;[^"]*">([^<]*)</div>', html)
    assert preheader and preheader.group(1).startswith("Chinese labs that built")  # the dek
    assert part["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_web_safe_fonts_unless_a_font_is_configured(project):
    project.write_config(email_config("outbox:outbox"))
    plain, _ = _email(project, "publish", "--story", "night-market")
    project.write_config(
        email_config(
            "outbox:outbox",
            'font_family = "Inter, Helvetica, Arial, sans-serif"\n'
            'font_url = "https://fonts.example.org/inter.css"',
        )
    )
    styled, _ = _email(project, "publish", "--story", "night-market")

    assert "<link" not in plain["html"] and "@import" not in plain["html"]
    assert "googleapis" not in plain["html"]
    assert "Helvetica, Arial, sans-serif" in plain["html"]
    assert "https://fonts.example.org/inter.css" in styled["html"]


def test_a_big_email_warns_before_gmail_clips_it(outbox_project):
    story = dict(MARKUP, id="long", headline="A Very Long Story")
    story["sections"] = [
        {"heading": f"Part {n}", "paragraphs": ["Words and more words. " * 60]} for n in range(60)
    ]
    outbox_project.add_story("long.json", json.dumps(story))

    result = outbox_project.run("publish", "--story", "long", "--to", "newsletter", "--dry-run")

    assert result.code == 0
    assert "warning: newsletter: the HTML is" in result.err
    assert "Gmail clips messages over 102 KB" in result.err


def test_the_users_templates_override_file_by_file(outbox_project):
    footer = outbox_project.root / "templates" / "email" / "_footer.mjml"
    footer.parent.mkdir(parents=True)
    footer.write_text(
        "<mj-section><mj-column><mj-text>Sent with care by {{ site.name }}. "
        '<a href="{{ unsubscribe_url }}">Leave</a></mj-text></mj-column></mj-section>\n',
        encoding="utf-8",
    )

    part, destination = _email(outbox_project, "publish", "--story", "night-market")

    assert "Sent with care by Test News." in part["html"]
    assert "You receive this because" not in part["html"]
    assert "Harbour Opens a Night Market" in part["html"]  # the rest is still the default
    assert "Unsubscribe:" in part["text"]  # the text part keeps its default template
    assert destination["warnings"] == []


def test_a_template_without_an_unsubscribe_link_is_flagged(outbox_project):
    footer = outbox_project.root / "templates" / "email" / "_footer.mjml"
    footer.parent.mkdir(parents=True)
    footer.write_text("<mj-section><mj-column><mj-text>Bye</mj-text></mj-column></mj-section>")

    result = outbox_project.run("publish", "--story", "night-market", "--dry-run")

    assert "warning: newsletter: the HTML part has no unsubscribe link" in result.err


def test_the_digest_lists_each_story_with_its_top_questions(project):
    project.write_config(email_config("outbox:outbox", "faq_per_story = 1"))
    project.add_story(
        "ferries.json",
        json.dumps(
            {
                "id": "ferries",
                "headline": "Ferries Run All Night",
                "dek": "A late boat for the market crowd.",
                "summary": "The ferry company extends its timetable.",
                "faq": [
                    {"q": "How late is the last boat?", "a": "Three in the morning."},
                    {"q": "Does it cost more?", "a": "No."},
                ],
                "url": "https://news.example.org/stories/ferries",
                "published": "2026-11-21T18:00:00+01:00",
            }
        ),
    )

    part, _ = _email(project, "digest", "--since", "3650d", "--to", "newsletter")

    html, text = part["html"], part["text"]
    assert part["subject"].startswith("Test News, ")
    assert part["subject"].endswith(": Ferries Run All Night")  # the newest story leads
    assert '<a href="https://news.example.org/stories/ferries"' in html
    assert "Ferries Run All Night" in html and "Harbour Opens a Night Market" in html
    assert "A late boat for the market crowd." in html  # dek
    assert "The ferry company extends its timetable." in html  # summary
    assert "How late is the last boat?" in html and "Does it cost more?" not in html
    assert "When does it open?" in html
    assert " – " in html and "2 stories" in html  # the date range and count
    assert "How late is the last boat?" in text and "Does it cost more?" not in text


def test_only_a_single_story_offers_a_browser_version(outbox_project):
    story, _ = _email(outbox_project, "publish", "--story", "night-market")
    digest, _ = _email(outbox_project, "digest", "--since", "3650d", "--to", "newsletter")

    story_url = "https://news.example.org/stories/night-market"
    assert f'<a href="{story_url}">View in browser</a>' in story["html"]
    assert f"View in browser: {story_url}" in story["text"]
    # A digest has no page of its own: its footer link says where it really goes.
    assert '<a href="https://news.example.org">Read on Test News</a>' in digest["html"]
    assert "Read on Test News: https://news.example.org\n" in digest["text"]
    assert "View in browser" not in digest["html"] + digest["text"]
