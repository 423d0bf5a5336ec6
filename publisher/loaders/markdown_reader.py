"""Reading a Markdown story: front matter through the strict YAML reader, the body through
pulldown-cmark (pyromark), folded into a draft with each field's file line.

Imported with the first Markdown story, not with the loader (`publisher --help`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from publisher.errors import StoryError
from publisher.loaders import mark_generated
from publisher.loading import StoryDraft, read_story_text

if TYPE_CHECKING:
    from pathlib import Path

RESERVED = {"the story so far": "summary", "frequently asked": "faq", "methodology": "methodology"}
# Headings, paragraphs, list items, emphasis, links...: a long story has a few thousand.
MAX_ELEMENTS = 50_000

_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)


class _Block(NamedTuple):
    heading_level: int  # 0 for a paragraph or list item
    text: str
    line: int


class _Split(NamedTuple):
    matter: str
    matter_line: int  # file line of the front matter's first line
    body: str
    body_line: int


def read_markdown(path: Path) -> StoryDraft:
    """The draft of the Markdown story at `path`: front matter, then the body's blocks."""
    split = _split(read_story_text(path))
    draft = _read_front_matter(path, split)
    _read_body(draft, split.body, split.body_line)
    mark_generated(draft)
    return draft


def _split(text: str) -> _Split:
    """Front matter and body, each with the file line it starts on."""
    opening = _BOUNDARY.match(text)
    closing = opening and _BOUNDARY.search(text, opening.end())
    if not opening or not closing:
        return _Split("", 1, text, 1)
    return _Split(
        text[opening.end() : closing.start()],
        text.count("\n", 0, opening.end()) + 1,
        text[closing.end() :],
        text.count("\n", 0, closing.end()) + 1,
    )


def _read_front_matter(path: Path, split: _Split) -> StoryDraft:
    if not split.matter.strip():
        return StoryDraft(path, {}, key_name="front matter key")
    from publisher.loaders.strict import Refused, read_yaml  # PyYAML: loaded with a story

    try:
        fields, lines = read_yaml(split.matter, split.matter_line)
    except Refused as refused:
        raise StoryError(path, f"invalid front matter: {refused.reason}", refused.line) from None
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise StoryError(path, "front matter must be keys with values", split.matter_line)
    return StoryDraft(path, fields, lines, key_name="front matter key")


def _read_body(draft: StoryDraft, body: str, first_line: int) -> None:
    """Fold the body's blocks into sections and the reserved fields."""
    sections: list[tuple[str, list[tuple[str, int]]]] = []
    reserved: dict[str, list[tuple[str, int]]] = {}
    target: list[tuple[str, int]] | None = None
    for block in _blocks(draft.path, body, first_line):
        if block.heading_level == 1:
            _set_once(draft, "headline", block.text, block.line, "'# ' heading")
            target = None
        elif block.heading_level:
            name = RESERVED.get(block.text.lower())
            target = []
            if name:
                _set_once(draft, name, target, block.line, f"'{block.text}' section")
                reserved[name] = target
            else:
                draft.lines[("sections", len(sections))] = block.line
                sections.append((block.text, target))
        else:
            if target is None:  # text before the first heading: an untitled lede
                draft.lines[("sections", len(sections))] = block.line
                target = []
                sections.append(("", target))
            target.append((block.text, block.line))

    if sections:
        _set_once(draft, "sections", None, draft.lines[("sections", 0)], "body")
        draft.fields["sections"] = [
            {"heading": heading, "paragraphs": [text for text, _ in paragraphs]}
            for heading, paragraphs in sections
        ]
    for name, entries in reserved.items():
        draft.fields[name] = _faq(draft, entries) if name == "faq" else _paragraphs(entries)


def _set_once(draft: StoryDraft, name: str, value: object, line: int, where: str) -> None:
    if name in draft.fields:
        raise StoryError(draft.path, f"'{name}' is given twice: in front matter and {where}", line)
    draft.fields[name] = value
    draft.lines[(name,)] = line


def _paragraphs(entries: list[tuple[str, int]]) -> str:
    return "\n\n".join(text for text, _ in entries)


def _faq(draft: StoryDraft, entries: list[tuple[str, int]]) -> list[dict[str, str]]:
    """Alternating `- question` / `- answer` items."""
    from publisher.loading import printable

    if len(entries) % 2:
        question, line = entries[-1]
        reason = f"FAQ question without an answer: '{printable(question)}'"
        raise StoryError(draft.path, reason, line)
    faq = []
    for number in range(0, len(entries), 2):
        (question, question_line), (answer, answer_line) = entries[number : number + 2]
        draft.lines[("faq", number // 2)] = question_line
        draft.lines[("faq", number // 2, "a")] = answer_line
        faq.append({"q": question, "a": answer})
    return faq


def _blocks(path: Path, body: str, first_line: int) -> Iterator[_Block]:
    """Headings, paragraphs and list items of the body, in order, as plain text.

    Code blocks and HTML blocks are left out. pulldown-cmark (through pyromark)
    parses in linear time, and the count of elements is bounded, so no body can
    keep a run busy for long.
    """
    lines = _Lines(body.encode(), first_line)
    inline = _Inline()
    level, skipping = 0, 0  # heading level of the open block; depth in code or HTML blocks
    import pyromark  # pulldown-cmark: loaded with the first Markdown story

    for count, (event, span) in enumerate(pyromark.events_with_range(body), start=1):
        if count > MAX_ELEMENTS:
            reason = f"more than {MAX_ELEMENTS:,} Markdown elements (paragraphs, links...)"
            raise StoryError(path, reason, lines.at(span["start"]))
        tag, value = _kind(event)
        name = _name(value)
        if tag in ("Start", "End") and name in {"CodeBlock", "HtmlBlock"}:
            skipping += 1 if tag == "Start" else -1
        elif skipping:
            continue
        elif tag == "Start" and name in _INLINE:
            inline.open(value, lines.at(span["start"]))
        elif tag == "End" and name in _INLINE:
            inline.close(value)
        elif tag in _TEXT:
            inline.add(str(value), lines.at(span["start"]))
        elif tag in {"SoftBreak", "HardBreak"}:
            inline.add(" ", lines.at(span["start"]))
        elif tag == "Start" and name in {"Heading", "Paragraph"}:
            yield from inline.flush()  # a list item's own text, before its paragraphs
            level = _heading_level(value)
            inline.start(lines.at(span["start"]))
        elif tag == "End" and name in {"Heading", "Paragraph"}:
            yield from inline.flush(level, always=True)
            level = 0
        else:  # any other block starting or ending closes a list item's own text
            yield from inline.flush()


class _Lines:
    """File line of a byte offset; offsets come mostly in order, so counting is incremental."""

    def __init__(self, data: bytes, first_line: int) -> None:
        self.data = data
        self.offset = 0
        self.line = first_line

    def at(self, offset: int) -> int:
        if offset >= self.offset:
            self.line += self.data.count(b"\n", self.offset, offset)
        else:
            self.line -= self.data.count(b"\n", offset, self.offset)
        self.offset = offset
        return self.line


_INLINE = {"Emphasis", "Strong", "Strikethrough", "Link", "Image"}
_TEXT = {"Text", "Code", "InlineHtml", "InlineMath", "DisplayMath"}


def _kind(event: Any) -> tuple[str, Any]:
    """("Start", tag), ("Text", "..."), ("SoftBreak", None)...: pyromark's events, flattened."""
    if isinstance(event, str):
        return event, None
    ((tag, value),) = event.items()
    return tag, value


def _name(tag: Any) -> str:
    if isinstance(tag, dict):
        ((name, _),) = tag.items()
        return name
    return str(tag)


def _heading_level(tag: Any) -> int:
    if isinstance(tag, dict) and "Heading" in tag:
        return int(tag["Heading"]["level"].removeprefix("H"))
    return 0


class _Inline:
    """The text of the block being read; a link keeps its address in brackets after its text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line: int | None = None
        self.links: list[tuple[str, int]] = []

    def start(self, line: int) -> None:
        self.line = line

    def add(self, text: str, line: int) -> None:
        if self.line is None:
            self.line = line
        self.parts.append(text)

    def open(self, tag: Any, line: int) -> None:
        if self.line is None:
            self.line = line
        if _name(tag) == "Link":
            self.links.append((str(tag["Link"]["dest_url"]), len(self.parts)))

    def close(self, tag: Any) -> None:
        if _name(tag) == "Link" and self.links:
            href, label_start = self.links.pop()
            if href and "".join(self.parts[label_start:]) != href:
                self.parts.append(f" ({href})")

    def flush(self, level: int = 0, always: bool = False) -> Iterator[_Block]:
        if self.line is not None and (always or self.parts):
            yield _Block(level, "".join(self.parts).strip(), self.line)
        self.parts, self.line, self.links = [], None, []
