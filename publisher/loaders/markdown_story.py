"""Markdown stories (`.md`): YAML front matter for the fields, `## Heading` blocks for sections.

Body sections named "The story so far", "Frequently Asked" and "Methodology" may
stand in for the front matter keys; inline Markdown is reduced to plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import frontmatter
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from publisher.errors import StoryError
from publisher.hookspecs import hookimpl
from publisher.loaders import mark_generated
from publisher.loading import StoryDraft, read_story_text, yaml_lines

RESERVED = {"the story so far": "summary", "frequently asked": "faq", "methodology": "methodology"}

_markdown = MarkdownIt("commonmark")
_front_matter = frontmatter.YAMLHandler()


class _TextDates(yaml.SafeLoader):
    """YAML that leaves dates as text, so that a bad date gets our message and its line."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Block(NamedTuple):
    heading_level: int  # 0 for a paragraph or list item
    text: str
    line: int


class _Split(NamedTuple):
    matter: str
    matter_line: int  # file line of the front matter's first line
    body: str
    body_line: int


@hookimpl(trylast=True)
def publisher_load_story(path: Path) -> StoryDraft | None:
    if path.suffix.lower() not in {".md", ".markdown"}:
        return None
    split = _split(read_story_text(path))
    draft = _read_front_matter(path, split)
    _read_body(draft, split.body, split.body_line)
    mark_generated(draft)
    return draft


def _split(text: str) -> _Split:
    """Front matter and body, each with the file line it starts on."""
    opening = _front_matter.FM_BOUNDARY.match(text)
    closing = opening and _front_matter.FM_BOUNDARY.search(text, opening.end())
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
    try:
        fields = _front_matter.load(split.matter, Loader=_TextDates) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        line = mark.line + split.matter_line if mark else None
        raise StoryError(path, f"invalid front matter: {reason}", line) from None
    if not isinstance(fields, dict):
        raise StoryError(path, "front matter must be keys with values", split.matter_line)
    lines = yaml_lines(split.matter, split.matter_line)
    return StoryDraft(path, fields, lines, key_name="front matter key")


def _read_body(draft: StoryDraft, body: str, first_line: int) -> None:
    """Fold the body's blocks into sections and the reserved fields."""
    sections: list[tuple[str, list[tuple[str, int]]]] = []
    reserved: dict[str, list[tuple[str, int]]] = {}
    target: list[tuple[str, int]] | None = None
    for block in _blocks(body, first_line):
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
    if len(entries) % 2:
        question, line = entries[-1]
        raise StoryError(draft.path, f"FAQ question without an answer: '{question}'", line)
    faq = []
    for number in range(0, len(entries), 2):
        (question, question_line), (answer, answer_line) = entries[number : number + 2]
        draft.lines[("faq", number // 2)] = question_line
        draft.lines[("faq", number // 2, "a")] = answer_line
        faq.append({"q": question, "a": answer})
    return faq


def _blocks(body: str, first_line: int) -> Iterator[_Block]:
    """Headings, paragraphs and list items of the body, in order, as plain text."""
    tokens = _markdown.parse(body)
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        opener = tokens[index - 1]
        level = int(opener.tag[1]) if opener.type == "heading_open" else 0
        line = first_line + (token.map[0] if token.map else 0)
        yield _Block(level, _plain_text(token), line)


def _plain_text(inline: Token) -> str:
    """Inline Markdown as plain text; a link keeps its address in brackets after its text."""
    out: list[str] = []
    href, label_start = "", 0
    for child in inline.children or []:
        if child.type in {"text", "code_inline", "html_inline", "image"}:
            out.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            out.append(" ")
        elif child.type == "link_open":
            href, label_start = str(child.attrs.get("href", "")), len(out)
        elif child.type == "link_close" and href:
            if "".join(out[label_start:]) != href:
                out.append(f" ({href})")
            href = ""
    return "".join(out).strip()
