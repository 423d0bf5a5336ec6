"""Broken templates: `publisher check` names the file and line, and a publish refuses them
in one line before anything is sent, never with a traceback."""

from __future__ import annotations

import pytest

from publisher import defaults
from support.project import SITE, Project

CONFIG = (
    SITE
    + """
[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "outbox:outbox"

[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "${MASTODON_ACCESS_TOKEN}"
dry_run = true
"""
)

BROKEN = [
    pytest.param(
        "<mjml>\n{% if story.headline %}\n<mj-body></mj-body>\n</mjml>\n",
        2,
        "Unexpected end of template. Jinja was looking for the following tags: 'elif' or "
        "'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
        id="syntax",
    ),
    pytest.param(
        "<mjml>\n<mj-body>\n<mj-text>{{ story.headline | shout }}</mj-text>\n</mj-body></mjml>\n",
        3,
        "No filter named 'shout'.",
        id="unknown-filter",
    ),
    pytest.param(
        "<mjml>\n{% if story is shouty %}x{% endif %}\n</mjml>\n",
        2,
        "No test named 'shouty' found.",
        id="unknown-test",
    ),
    pytest.param(
        '<mjml>\n{% include "email/_nope.mjml" %}\n</mjml>\n',
        2,
        "template 'email/_nope.mjml' not found (looked in @TEMPLATES@, @DEFAULTS@)",
        id="missing-include",
    ),
    pytest.param(
        "<mjml>\n<mj-body>\n\n{{ author.name }}\n</mj-body></mjml>\n",
        4,
        "'author' is undefined",
        id="undefined-variable",
    ),
    pytest.param(
        b"<mjml>\n<mj-body>caf\xe9</mj-body></mjml>\n",
        2,
        "byte 0xe9 is not valid UTF-8; save the file as UTF-8",
        id="not-utf8",
    ),
    pytest.param(
        '<mjml>\n{% include "email/story.mjml" %}\n</mjml>\n',
        2,
        "the template includes itself, directly or through others",
        id="includes-itself",
    ),
    pytest.param(
        "<mjml>\n<mj-body>{{ 1 // 0 }}</mj-body></mjml>\n",
        2,
        "ZeroDivisionError: integer division or modulo by zero",
        id="runtime-error",
    ),
    pytest.param(
        "Dear reader,\n{{ story.headline }}\n",
        None,
        "the template does not make valid MJML (unable to parse next template in root template)",
        id="not-mjml",
    ),
]


@pytest.fixture
def newsletter(project: Project) -> Project:
    project.write_config(CONFIG)
    assert project.run("subscribers", "add", "ada@example.org").code == 0
    return project


def _break(project: Project, name: str, source: str | bytes, line: int | None, reason: str):
    path = project.root / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        path.write_text(source, encoding="utf-8")
    reason = reason.replace("@TEMPLATES@", str(project.root / "templates"))
    reason = reason.replace("@DEFAULTS@", str(defaults.templates_dir()))
    return f"{path}:{line}: {reason}" if line else f"{path}: {reason}"


@pytest.mark.parametrize(("source", "line", "reason"), BROKEN)
def test_check_names_the_template_file_and_line(newsletter, source, line, reason) -> None:
    problem = _break(newsletter, "email/story.mjml", source, line, reason)

    result = newsletter.run("check")

    assert result.code == 2
    assert f"failed newsletter: {problem}\n" in result.out
    assert result.err.endswith("1 destination cannot publish\n")


@pytest.mark.parametrize(("source", "line", "reason"), BROKEN)
def test_a_publish_refuses_a_broken_template_in_one_line(newsletter, source, line, reason) -> None:
    problem = _break(newsletter, "email/story.mjml", source, line, reason)

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")
    dry_run = newsletter.run("publish", "--story", "night-market", "--dry-run")

    assert result.code == 2 and result.err == f"error: {problem}\n"
    assert dry_run.code == 2 and dry_run.err == f"error: {problem}\n"
    assert not (newsletter.root / "outbox").exists()
    assert "Nothing has been published yet." in newsletter.run("status").out


def test_the_digest_templates_are_checked_too(newsletter) -> None:
    problem = _break(newsletter, "email/digest.txt", "{{ stories | shout }}\n", 1, "No filter")

    result = newsletter.run("check")

    assert result.code == 2
    assert f"failed newsletter: {problem}" in result.out


def test_a_dry_run_destination_with_a_broken_template_fails_the_check(newsletter) -> None:
    problem = _break(newsletter, "mastodon/post.txt", "{{ headline }\n", 1, "unexpected '}'")

    result = newsletter.run("check")

    assert result.code == 2
    assert f"failed fediverse: {problem}" in result.out
    assert "ok newsletter (email)" in result.out


def test_an_error_in_an_included_template_names_that_file(newsletter) -> None:
    footer = _break(newsletter, "email/_footer.mjml", "<mj-text>\n{{ nope }}</mj-text>\n", 2, "")

    result = newsletter.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 2
    assert result.err == f"error: {footer}'nope' is undefined\n"


def test_check_reads_every_template_even_those_no_channel_renders(newsletter) -> None:
    """The pages of `publisher serve` are rendered by no channel: a broken one is still named."""
    source = "<h1>Archive</h1>\n{% if %}\n"
    problem = _break(newsletter, "pages/archive.html", source, 2, "Expected an expression")

    result = newsletter.run("check")

    assert result.code == 2
    assert f"bad template {problem}" in result.out
    assert "ok newsletter (email)" in result.out
    assert result.err == "error: 1 template file unusable\n"


def test_check_renders_the_disclosure_of_a_generated_story(newsletter) -> None:
    problem = _break(
        newsletter, "social/disclosure.txt", b"{{ headline }}\ncaf\xe9\n", 2, "byte 0xe9"
    )

    result = newsletter.run("check")

    assert result.code == 2
    assert f"failed fediverse: {problem}" in result.out
