"""Hostile story files: refused in one line (file, line, reason) with exit code 2, never a
hang, a traceback or unbounded memory; and one bad file never stops a digest."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from publisher.errors import StoryError
from publisher.jobs import run_schedule
from publisher.story import MAX_ID_LENGTH
from publisher.workspace import Workspace
from support.postgres import postgres_url  # noqa: F401  (a fixture)
from support.project import STORY, Project, recorder_config

BOMB = "---\nheadline: H\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)
DEEP = "[" * 1000 + "]" * 1000

HOSTILE = {
    "alias-bomb.md": (BOMB + "---\n", 3, "anchors and aliases (& and *) are not allowed"),
    "self-alias.md": ("---\nheadline: H\ntags: &x [*x]\n---\n", 3, "anchors and aliases"),
    "duplicate-key.md": (
        "---\nheadline: H\ndek: One.\ndek: Two.\n---\n",
        4,
        "invalid front matter: 'dek' is given twice (first on line 3)",
    ),
    "duplicate-key.json": ('{"headline": "H",\n "dek": "One.",\n "dek": "Two."}\n', 3, "'dek' is"),
    "long-number.json": (
        '{"headline": "H",\n "priority": ' + "9" * 5000 + "}\n",
        2,
        "a number longer than 20 characters",
    ),
    "long-number.md": (
        "---\nheadline: H\npriority: " + "9" * 5000 + "\n---\n",
        3,
        "a number longer than 20 characters",
    ),
    "long-count.txt": (
        "Headline\nDek.\nMethodology\nGenerated from " + "9" * 5000 + " source records.\n",
        3,
        "a source count longer than 20 digits",
    ),
    "deep.json": ('{"headline": "H",\n "dek": ' + DEEP + "}\n", 2, "nested deeper than 20 levels"),
    "deeper-than-the-stack.json": (
        '{"headline": "H",\n "dek": ' + "[" * 100_000 + "]" * 100_000 + "}",
        2,
        "nested deeper than 20 levels",
    ),
    "deep.md": ("---\nheadline: H\ndek: " + "[" * 30 + "]" * 30 + "\n---\n", 3, "nested deeper"),
    "deeper.md": ("---\nheadline: H\ndek: " + DEEP + "\n---\n", 3, "nesting depth"),
    "surrogate.json": (
        '{"headline": "H",\n "dek": "half \\ud800 of a pair"}\n',
        2,
        "dek: '\\ud800' is half of a UTF-16 pair, not text",
    ),
    "surrogate-key.json": ('{"headline": "H",\n "\\udfff": 1}\n', 2, "is half of a UTF-16 pair"),
    "long-id.md": (
        "---\nid: " + "a" * 210 + "\nheadline: H\n---\n",
        2,
        "id: 210 characters is too long: at most 150 fit the state database",
    ),
    "many-values.json": (
        '{"headline": "H",\n "tags": [' + ", ".join(['"t"'] * 30_000) + "]}\n",
        2,
        "more than 20,000 keys and values",
    ),
    "many-lines.txt": ("Headline\n" + "A paragraph.\n" * 30_000, 20_001, "more than 20,000 lines"),
    "many-elements.md": ("# H\n\n" + "*a" * 200_000 + "\n", 3, "more than 50,000 Markdown"),
}


def _refused(project: Project, path: Path, line: int | None, reason: str) -> None:
    result = project.run("story", str(path))
    assert result.code == 2, result.out
    message = result.err.strip()
    assert len(message.splitlines()) == 1, message
    where = f"{path}:{line}: " if line else f"{path}: "
    assert message.startswith(f"error: {where}"), message
    assert reason in message


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_story_is_refused_in_one_line(project: Project, name: str) -> None:
    text, line, reason = HOSTILE[name]
    _refused(project, project.add_story(name, text), line, reason)


def test_a_50_mb_markdown_file_is_refused_unread(project: Project) -> None:
    path = project.root / "stories" / "huge.md"
    with path.open("w", encoding="utf-8") as file:
        file.write("---\nheadline: Huge\n---\n\n")
        for _ in range(500):
            file.write("All work and no play makes a very long story. " * 2_000 + "\n\n")
    size = path.stat().st_size
    assert size > 45_000_000
    _refused(project, path, None, f"{size:,} bytes is more than the 1,000,000 a story file may")
    workspace = Workspace.open(project.config)
    tracemalloc.start()
    try:
        with pytest.raises(StoryError):
            workspace.load_story(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"refusing it took {peak:,} bytes of memory"


def test_the_size_cap_is_a_site_setting(project: Project) -> None:
    filler = "## Length\n\n" + "A long paragraph. " * 200 + "\n\n"
    path = project.add_story("long.md", STORY.replace("## Who Runs It", filler + "## Who Runs It"))
    project.write_config(recorder_config().replace("[site]\n", '[site]\nmax_story_size = "2KB"\n'))
    _refused(project, path, None, "is more than the 2,000 a story file may have")
    project.write_config(recorder_config().replace("[site]\n", '[site]\nmax_story_size = "1MB"\n'))
    assert project.run("story", str(path)).code == 0
    project.write_config(recorder_config().replace("[site]\n", '[site]\nmax_story_size = "big"\n'))
    result = project.run("story", str(path))
    assert result.code == 2
    assert "site.max_story_size: 'big' is not a size such as 1MB" in result.err


def test_a_link_out_of_the_stories_folder_is_refused_and_left_out(project: Project) -> None:
    secret = project.root / "secret.txt"
    secret.write_text("Root Password\nroot:x:0:0:root:/root:/bin/bash.\n", encoding="utf-8")
    link = project.root / "stories" / "passwords.txt"
    link.symlink_to(secret)
    _refused(project, link, None, f"a link to {secret}, outside the stories folder")
    refused = project.run("publish", "--story", "passwords")
    assert refused.code == 2
    assert "outside the stories folder" in refused.err

    digest = project.run("digest", "--since", "3650d")
    assert digest.code == 0, digest.err
    assert f"left out of the digest: {link}: a link to {secret}" in digest.err
    texts = [post["text"] for post in project.posts()]
    assert texts[0] == "Harbour Opens a Night Market"
    assert not any("root" in text.lower() for text in texts)


def test_a_link_within_the_stories_folder_is_read(project: Project) -> None:
    link = project.root / "stories" / "night-market-again.md"
    link.symlink_to(project.root / "stories" / "night-market.md")
    result = project.run("story", str(link), "--json")
    assert result.code == 0, result.err
    assert '"id": "night-market-again"' in result.out


def test_two_files_with_one_id_are_refused_naming_both(project: Project) -> None:
    same_id = STORY.replace("---\n", "---\nid: evening-market\n", 1)
    first, second = project.add_story("first.md", same_id), project.add_story("second.md", same_id)
    said = f"{first}:2: the id 'evening-market' is also the id of {second}"

    publish = project.run("publish", "--story", "evening-market")
    assert publish.code == 2
    assert publish.err.strip() == f"error: {said}: give each story its own id"

    for reference in (str(second), "second.md", "second"):  # by path, file name or stem
        named = project.run("publish", "--story", reference)
        assert named.code == 2, named.out + named.err
        assert named.err.strip() == (
            f"error: {second}:2: the id 'evening-market' is also the id of {first}: "
            "give each story its own id"
        )
    assert project.posts() == []

    digest = project.run("digest", "--since", "3650d")
    assert digest.code == 0, digest.err
    assert f"left out of the digest: {said}" in digest.err
    texts = [post["text"] for post in project.posts()]
    assert texts.count("Harbour Opens a Night Market") == 1  # night-market.md, on its own

    check = project.run("check")
    assert check.code == 2
    assert f"bad story {said}" in check.out


def test_check_loads_every_story_file_and_names_each_bad_one(project: Project) -> None:
    good = project.run("check")
    assert good.code == 0, good.out + good.err
    assert "bad story" not in good.out
    faq = project.add_story("faq.md", "---\nheadline: H\nfaq:\n  - q: Why?\n---\n")
    array = project.add_story("array.json", "[1, 2]")
    result = project.run("check")
    assert result.code == 2
    assert f"bad story {array}:1: a JSON story must be one object" in result.out
    assert f"bad story {faq}:4: faq entry 1, answer is missing" in result.out
    assert result.err.strip() == "error: 2 story files unusable"


def test_the_preview_of_the_next_digest_leaves_a_bad_file_out(project: Project) -> None:
    broken = project.add_story("broken.json", '{"headline": "H",\n "dek": ' + DEEP + "}\n")
    out = project.root / "preview"
    result = project.run("preview", "--out", str(out), "--since", "3650d")
    assert result.code == 0, result.err
    assert f"left out of the digest: {broken}:2: nested deeper than 20 levels" in result.err
    assert "Harbour Opens a Night Market" in (out / "index.html").read_text(encoding="utf-8")


def test_a_scheduled_digest_leaves_a_bad_file_out_and_its_record_says_why(
    project: Project,
) -> None:
    project.write_config(
        recorder_config() + '\n[schedules.weekly]\ncron = "0 8 * * mon"\nsince = "3650d"\n'
    )
    broken = project.add_story("broken.md", "---\nheadline: H\nfaq:\n  - q: Why?\n---\n")
    run_schedule(str(project.config), str(project.root), "weekly")
    assert project.posts()[0]["text"] == "Harbour Opens a Night Market"
    status = project.run("status")
    assert status.code == 0
    assert (
        f"left out 1 story file: {broken}:4: faq entry 1, answer is missing"
        in status.out.replace("\n", "")
    )


@pytest.mark.slow
def test_the_longest_id_fits_the_ledger_on_postgresql(project: Project, postgres_url: str) -> None:  # noqa: F811
    project.write_config(
        recorder_config().replace("[site]\n", f'[site]\nstate = "{postgres_url}"\n')
    )
    longest = "a" * MAX_ID_LENGTH
    path = project.add_story("longest.md", STORY.replace("---\n", f"---\nid: {longest}\n", 1))
    result = project.run("publish", "--story", str(path))
    assert result.code == 0, result.err
    assert project.run("publish", "--story", str(path)).out.count("already") == 1
    too_long = project.add_story("too-long.md", STORY.replace("---\n", f"---\nid: {longest}a\n", 1))
    _refused(project, too_long, 2, f"at most {MAX_ID_LENGTH} fit the state database")
