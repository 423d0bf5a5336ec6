"""Plain-text article exports (`.txt`): one block per line, structure read from its shape.

Line 1 is the headline and line 2 the dek. A short line without closing
punctuation that is followed by a paragraph is a section heading; the reserved
headings start the summary, the FAQ, the related stories and the methodology.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from publisher.errors import StoryError
from publisher.hookspecs import hookimpl
from publisher.loaders import mark_generated

# The loading helpers load with the first story, not with the plugin (`publisher --help`).
if TYPE_CHECKING:
    from pathlib import Path

    from publisher.loading import StoryDraft

RESERVED = {
    "the story so far": "summary",
    "frequently asked": "faq",
    "continue reading": "related",
    "methodology": "methodology",
}
# Labels the export glues to the front of a related title ("similarOpenClaw's ...").
RELATIONS = ("similar", "related", "background", "context", "analysis", "explainer", "update")
HEADING_MAX_LENGTH = 100
MAX_LINES = 20_000  # an export has a line per paragraph: a long story has a few hundred

# Patterns are compiled on first use (and kept in `re`'s cache), not when every command
# loads this plugin.
_GLUED_RELATION = rf"({'|'.join(RELATIONS)})(?=[A-Z0-9\"'‘“])"
# Only at the start of a run of blanks, so that a long run is not rescanned from each blank.
_CITATION_GAP = r"(?<![ \t])[ \t]++([.,])(?=\s|$)"
_SOURCE_COUNT = r"(?i)\bfrom\s+(\d[\d,]*)\s+source\s+records?\b"
_CLOSING = ".!?:;,…。！？"
_TRAILING_QUOTES = "\"'”’»)]"


@hookimpl(trylast=True)
def publisher_load_story(path: Path) -> StoryDraft | None:
    from publisher.loading import read_story_text

    if path.suffix.lower() != ".txt":
        return None
    lines: list[tuple[int, str]] = []
    for number, text in enumerate(read_story_text(path).splitlines(), start=1):
        if text.strip():
            if len(lines) == MAX_LINES:
                raise StoryError(path, f"more than {MAX_LINES:,} lines of text", number)
            lines.append((number, _close_citation_gaps(text.strip())))
    if not lines:
        raise StoryError(path, "empty file: line 1 should be the headline", 1)
    return _Reader(path, lines).read()


def _close_citation_gaps(text: str) -> str:
    """'carry .' -> 'carry.': the export leaves a space where a citation was removed."""
    return re.sub(_CITATION_GAP, r"\1", text)


def _looks_like_heading(text: str) -> bool:
    bare = text.rstrip(_TRAILING_QUOTES)
    return len(text) <= HEADING_MAX_LENGTH and not bare.endswith(tuple(_CLOSING))


class _Reader:
    """Walks the numbered lines once, filling the draft part by part."""

    def __init__(self, path: Path, lines: list[tuple[int, str]]) -> None:
        from publisher.loading import StoryDraft

        self.path = path
        self.lines = lines
        self.draft = StoryDraft(path, {})

    def read(self) -> StoryDraft:
        (headline_line, headline), *rest = self.lines
        self._set("headline", headline, headline_line)
        if rest:
            dek_line, dek = rest[0]
            self._set("dek", dek, dek_line)
        parts = self._split_parts(rest[1:])
        sections = parts.pop(None, [])
        if sections:
            self._sections(sections)
        for name, (line, body) in parts.items():
            getattr(self, f"_{name}")(line, body)
        mark_generated(self.draft)
        return self.draft

    def _set(self, name: str, value: object, line: int) -> None:
        self.draft.fields[name] = value
        self.draft.lines[(name,)] = line

    def _split_parts(self, lines: list[tuple[int, str]]) -> dict:
        """Group lines under the reserved headings; body sections collect under None."""
        parts: dict = {None: []}
        current: list[tuple[int, str]] = parts[None]
        for number, text in lines:
            name = RESERVED.get(text.lower())
            if name is None:
                current.append((number, text))
                continue
            if name in parts:
                first = parts[name][0]
                raise StoryError(
                    self.path, f"'{text}' appears twice (first on line {first})", number
                )
            current = []
            parts[name] = (number, current)
        return parts

    def _sections(self, lines: list[tuple[int, str]]) -> None:
        sections: list[dict] = []
        for index, (number, text) in enumerate(lines):
            following = lines[index + 1][1] if index + 1 < len(lines) else None
            is_heading = (
                _looks_like_heading(text)
                and following is not None
                and not _looks_like_heading(following)
            )
            if is_heading or not sections:
                self.draft.lines[("sections", len(sections))] = number
                sections.append({"heading": text if is_heading else "", "paragraphs": []})
                if is_heading:
                    continue
            sections[-1]["paragraphs"].append(text)
        self.draft.fields["sections"] = sections
        self.draft.lines[("sections",)] = lines[0][0]

    def _summary(self, line: int, body: list[tuple[int, str]]) -> None:
        self._set("summary", "\n\n".join(text for _, text in body), line)

    def _methodology(self, line: int, body: list[tuple[int, str]]) -> None:
        text = "\n\n".join(text for _, text in body)
        self._set("methodology", text, line)
        found = re.search(_SOURCE_COUNT, text)
        if found:
            from publisher.loaders.strict import MAX_NUMBER_LENGTH

            digits = found.group(1).replace(",", "")
            if len(digits) > MAX_NUMBER_LENGTH:
                reason = f"a source count longer than {MAX_NUMBER_LENGTH} digits"
                raise StoryError(self.path, reason, line)
            self._set("source_count", int(digits), line)

    def _faq(self, line: int, body: list[tuple[int, str]]) -> None:
        """Alternating '- question' / '- answer' lines; unmarked lines continue an answer."""
        from publisher.loading import printable

        faq: list[dict[str, str]] = []
        answers: list[list[str]] = []  # joined at the end: appending to a string is quadratic
        question_line = None
        for number, text in body:
            item = text[1:].strip() if text.startswith(("-", "–", "•")) else None
            if item is not None and question_line is None:
                question_line = number
                self.draft.lines[("faq", len(faq))] = number
                faq.append({"q": item})
            elif item is not None:
                self.draft.lines[("faq", len(faq) - 1, "a")] = number
                answers.append([item])
                question_line = None
            elif faq and len(answers) == len(faq):
                answers[-1].append(text)
            else:
                raise StoryError(self.path, "FAQ lines must start with '- '", number)
        if question_line is not None:
            reason = f"FAQ question without an answer: '{printable(faq[-1]['q'])}'"
            raise StoryError(self.path, reason, question_line)
        for entry, answer in zip(faq, answers, strict=True):
            entry["a"] = "\n\n".join(answer)
        self._set("faq", faq, line)

    def _related(self, line: int, body: list[tuple[int, str]]) -> None:
        """Title line, then dek line; a relation label may be glued to the title."""
        related: list[dict[str, str]] = []
        for index in range(0, len(body), 2):
            number, title = body[index]
            dek = body[index + 1][1] if index + 1 < len(body) else ""
            glued = re.match(_GLUED_RELATION, title)
            entry = {"title": title[glued.end() :] if glued else title, "dek": dek}
            if glued:
                entry["relation"] = glued.group(1)
            self.draft.lines[("related", len(related))] = number
            related.append(entry)
        self._set("related", related, line)
