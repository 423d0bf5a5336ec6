"""Bad input is refused with one line naming the file (and line), exit 2, nothing published."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.project import Project

BAD_STORIES = {
    "no-headline.md": (
        "---\ndek: A dek but no headline.\n---\n\n## One\n\nText.\n",
        None,
        "headline is missing",
    ),
    "faq-without-answer.md": (
        "---\nheadline: H\n---\n\n## Frequently Asked\n\n- Is it ready?\n- Yes.\n- And now?\n",
        9,
        "FAQ question without an answer: 'And now?'",
    ),
    "faq-without-answer.json": (
        '{\n  "headline": "H",\n  "faq": [\n    {"q": "Why?"}\n  ]\n}\n',
        4,
        "faq entry 1, answer is missing",
    ),
    "faq-without-answer.txt": (
        "Headline\nDek.\nFrequently Asked\n- Why?\n- Because.\n- And then?\n",
        6,
        "FAQ question without an answer: 'And then?'",
    ),
    "unknown-key.md": (
        "---\nheadline: H\ntagz: [a]\n---\n\nText.\n",
        3,
        "unknown front matter key 'tagz' (did you mean 'tags'?)",
    ),
    "unknown-key.json": ('{"headline": "H",\n "teaser": "x"}\n', 2, "unknown key 'teaser'"),
    "bad-date.md": (
        "---\nheadline: H\npublished: 2026-02-30\n---\n\nText.\n",
        3,
        "bad date in 'published': '2026-02-30'",
    ),
    "bad-date.json": (
        '{"headline": "H",\n "published": "next Tuesday"}\n',
        2,
        "bad date in 'published'",
    ),
    "broken.json": ('{"headline": "H",\n "dek": }\n', 2, "invalid JSON"),
    "broken-yaml.md": ("---\nheadline: [unclosed\n---\n\nText.\n", None, "invalid front matter"),
    "empty.txt": ("\n\n", 1, "empty file"),
    "number-headline.md": (
        "---\nheadline: 1984\n---\n\nText.\n",
        2,
        "headline: must be text, not 1984 (put it in quotes)",
    ),
    "東京.md": ("---\nheadline: H\n---\n\nText.\n", None, "the file name gives no id"),
}


def _assert_refused(project: Project, path: Path, line: int | None, reason: str) -> None:
    result = project.run("publish", "--story", str(path))
    assert result.code == 2
    message = result.err.strip()
    assert len(message.splitlines()) == 1, message
    where = f"{path}:{line}:" if line else f"{path}"
    assert message.startswith(f"error: {where}"), message
    assert reason in message
    assert project.posts() == []
    assert not (project.root / "state").exists(), "nothing may be written to the ledger"


@pytest.mark.parametrize("name", sorted(BAD_STORIES))
def test_bad_story_is_refused(project: Project, name: str) -> None:
    text, line, reason = BAD_STORIES[name]
    _assert_refused(project, project.add_story(name, text), line, reason)


def test_binary_file_is_refused(project: Project) -> None:
    path = project.root / "stories" / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _assert_refused(project, path, None, "binary file")


def test_non_utf8_file_is_refused_with_its_line(project: Project) -> None:
    path = project.root / "stories" / "latin1.txt"
    path.write_bytes("Headline\nCaf\xe9 dek.\n".encode("latin-1"))
    _assert_refused(project, path, 2, "not UTF-8 text")


def test_missing_file_and_folder_are_refused(project: Project) -> None:
    _assert_refused(project, project.root / "stories" / "nope.md", None, "no such file")
    _assert_refused(project, project.root / "stories", None, "not a file")


def test_unreadable_file_is_refused(project: Project) -> None:
    path = project.root / "stories" / "unreadable.md"
    if os.geteuid() == 0:  # root reads any file; this one fails to read for everybody
        path = project.root / "unreadable.md"  # named explicitly: links out of stories/ are refused
        path.symlink_to("/proc/self/mem")
    else:
        path.write_text("---\nheadline: H\n---\n")
        path.chmod(0)
    _assert_refused(project, path, None, "cannot read file")


def test_unknown_format_is_refused(project: Project) -> None:
    _assert_refused(
        project, project.add_story("story.docx", "x"), None, "no installed loader reads '.docx'"
    )


def test_unknown_channel_in_configuration(project: Project) -> None:
    project.write_config(
        """\
        [site]
        url = "https://news.example.org"

        [destinations.social]
        channel = "myspace"
        """
    )
    result = project.run("publish", "--story", str(project.root / "stories" / "night-market.md"))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"error: {project.config}: destinations.social.channel: unknown channel 'myspace' "
        "(known: bluesky, email, mastodon, recorder, x)"
    ]
    assert not (project.root / "state").exists()


def test_a_bad_story_is_left_out_of_the_digest_and_the_rest_is_sent(project: Project) -> None:
    broken = project.add_story("broken.md", "---\nheadline: H\nfaq:\n  - q: Why?\n---\n")
    result = project.run("digest", "--since", "3650d")
    assert result.code == 0, result.err
    assert f"left out of the digest: {broken}:4: faq entry 1, answer is missing" in result.err
    texts = [post["text"] for post in project.posts()]
    assert texts[0] == "Harbour Opens a Night Market"  # the good story went out, alone
    assert len(texts) == 3


def test_an_empty_to_is_refused_rather_than_meaning_everywhere(project: Project) -> None:
    for value in ("", ","):
        result = project.run("publish", "--story", "night-market", "--to", value)
        assert result.code == 2
        assert "--to names no destination" in result.err
    assert project.posts() == []


def test_a_broken_file_does_not_hide_the_story_asked_for(project: Project) -> None:
    project.add_story("array.json", "[1, 2]")
    found = project.run("publish", "--story", "night-market.md", "--dry-run")
    assert found.code == 0, found.err
    missing = project.run("publish", "--story", "no-such-id")
    assert missing.code == 2
    assert "no story with id 'no-such-id'" in missing.err
    assert "1 file(s) there could not be read, first: " in missing.err
    assert "array.json:1: a JSON story must be one object" in missing.err


def test_unknown_destination_is_refused(project: Project) -> None:
    result = project.run("publish", "--story", "night-market", "--to", "log,fax")
    assert result.code == 2
    assert "unknown destination 'fax' (configured: log)" in result.err
    assert project.posts() == []
