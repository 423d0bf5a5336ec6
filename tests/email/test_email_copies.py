"""Each recipient's copy, made from bodies encoded once per send: whatever the text around the
token, a mail parser reads back exactly the text with that recipient's token in it."""

from __future__ import annotations

import binascii
from email import message_from_bytes, policy

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import Part
from publisher_email.letter import Letter
from publisher_email.render import UNSUBSCRIBE_TOKEN

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
