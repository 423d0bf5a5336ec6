"""Each recipient's copy, made from bodies encoded once per send: whatever the text around the
token, a mail parser reads back exactly the text with that recipient's token in it. MJML is
compiled once per edition and destination."""

from __future__ import annotations

import binascii
import re
from email import message_from_bytes, policy

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import Part
from publisher_email.letter import Letter
from publisher_email.render import UNSUBSCRIBE_TOKEN
from support.mail import email_config
from support.project import REPOSITORY, STORY

HEADERS = {
    "From": "News <news@example.org>",
    "Subject": "Weekly",
    "List-Unsubscribe": f"<https://news.example.org/u?t={UNSUBSCRIBE_TOKEN}>",
}
# What the text around a token is made of: the awkward cases of quoted-printable included
# (spaces and tabs before a line end, a dot opening a line, "=", long words, non-ASCII).
PIECES = st.sampled_from(
    ["word", " ", "\t", "=", ".", "\n", "\r\n", "é", "日本", "x" * 90, "a.b ", UNSUBSCRIBE_TOKEN]
)
TOKENS = st.one_of(
    st.text("ABCXYZabcxyz0189-_", min_size=44, max_size=44),  # a sealed token
    st.text("ABCabc019-_", min_size=1, max_size=80),  # any other length
    st.just("cmVhZGVyQGV4YW1wbGUub3Jn.bWFj"),  # the older kind, with a dot
)


def _decoded(copy: bytes) -> tuple[str, str]:
    message = message_from_bytes(copy, policy=policy.SMTP)
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def _lines(text: str) -> str:
    """Text with its line ends made alike (copies end lines with CRLF), the last one dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(PIECES, max_size=40).map("".join),
    html=st.lists(PIECES, max_size=40).map("".join),
    tokens=st.lists(TOKENS, min_size=1, max_size=3),
)
def test_every_copy_reads_back_as_its_text_with_its_own_token(text, html, tokens):
    part = Part(text=text, extra={"headers": HEADERS, "html": html})
    letter = Letter(part, seed="property")
    for token in tokens:
        copy = letter.copy("reader@example.org", "<id@example.org>", token)
        plain, markup = _decoded(copy)
        expected_plain = text.replace(UNSUBSCRIBE_TOKEN, token)
        expected_html = html.replace(UNSUBSCRIBE_TOKEN, token)
        assert _lines(plain) == _lines(expected_plain)
        assert _lines(markup) == _lines(expected_html)
        body = copy.split(b"\r\n\r\n", 1)[1]
        assert b"\n" not in body.replace(b"\r\n", b"")  # CRLF line ends only
        # Never longer than binascii makes them (76, one more after a trailing space).
        assert max(len(line) for line in body.split(b"\r\n")) <= 77


def test_a_sealed_token_stands_whole_in_the_bytes_that_go_out():
    """A link a reader's mail client shows is the token itself, never cut by a soft break."""
    html = ("<p>" + "Words of a long paragraph. " * 20 + "</p>\n") * 3
    html += f'<a href="https://news.example.org/u?t={UNSUBSCRIBE_TOKEN}">unsubscribe</a>\n'
    part = Part(text=f"Leave: https://news.example.org/u?t={UNSUBSCRIBE_TOKEN}\n", extra={
        "headers": HEADERS, "html": html * 2})  # fmt: skip
    letter = Letter(part, seed="whole")
    token = "Q" * 22 + "z" * 22
    copy = letter.copy("reader@example.org", "<id@example.org>", token)
    body = copy.split(b"\r\n\r\n", 1)[1]
    assert body.count(token.encode()) == 3
    assert binascii.a2b_qp(body).count(token.encode()) == 3


def test_mjml_is_compiled_once_per_edition_and_destination(project):
    """A template that prints a random number shows how often it was rendered and compiled:
    every reader's copy of one edition carries the same number, another edition another."""
    project.write_config(email_config("outbox:outbox"))
    default = (REPOSITORY / "templates" / "email" / "story.mjml").read_text(encoding="utf-8")
    marked = default.replace(
        '{% include "email/_story_body.mjml" %}',
        '{% include "email/_story_body.mjml" %}\n<mj-section><mj-column>'
        "<mj-text>compiled {{ range(10**12) | random }}</mj-text></mj-column></mj-section>",
    )
    assert marked != default
    (project.root / "templates" / "email").mkdir(parents=True)
    (project.root / "templates" / "email" / "story.mjml").write_text(marked, encoding="utf-8")
    readers = [f"reader{n}@example.org" for n in range(5)]
    for address in readers:
        assert project.run("subscribers", "add", address).code == 0
    project.add_story("ferries.md", STORY.replace("Night Market", "Ferry Timetable"))

    marks = {}
    for story in ("night-market", "ferries"):
        result = project.run("publish", "--story", story, "--to", "newsletter")
        assert result.code == 0, result.err
        copies = sorted((project.root / "outbox" / f"story-{story}").glob("*.eml"))
        assert len(copies) == len(readers)
        found = {re.search(r"compiled (\d+)", _decoded(path.read_bytes())[1])[1] for path in copies}
        assert len(found) == 1, found  # one compile for every reader of the edition
        marks[story] = found.pop()
    assert marks["night-market"] != marks["ferries"]
