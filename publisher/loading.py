"""From a file on disk to a validated Story, with every error pointing at a line.

Loaders (one per input format, each a plugin) only parse syntax into a
`StoryDraft`; filling derived values and validating happen here, once, so that
every format reports problems the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from publisher.errors import StoryError
from publisher.story import STORY_FIELDS, Story

Location = tuple[str | int, ...]


@dataclass
class StoryDraft:
    """What a loader read from a file: raw values, and the line each was found on."""

    path: Path
    fields: dict[str, Any]
    lines: dict[Location, int] = field(default_factory=dict)
    key_name: str = "key"  # how the format calls a top-level key, for error messages


@dataclass(frozen=True)
class LoadedStory:
    """A valid story and, for each field, where its value came from."""

    story: Story
    origins: Mapping[str, str]
    path: Path


@dataclass(frozen=True)
class StoryDefaults:
    """Site settings that fill what a story file leaves out."""

    url_pattern: str
    timezone: ZoneInfo


def read_story_text(path: Path) -> str:
    """Read a story file as UTF-8 text, refusing binary files with a clear reason."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StoryError(path, f"cannot read file: {error.strerror or error}") from None
    if b"\x00" in data:
        raise StoryError(path, "binary file, not a story (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise StoryError(path, "not UTF-8 text", line) from None


def yaml_lines(text: str, first_line: int = 1) -> dict[Location, int]:
    """Map each key and list item of a YAML (or JSON) document to its line number."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[Location, int] = {}

    def walk(node: yaml.Node, location: Location) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*location, key.value)
                lines[here] = key.start_mark.line + first_line
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                here = (*location, index)
                lines[here] = item.start_mark.line + first_line
                walk(item, here)

    if root is not None:
        walk(root, ())
    return lines


def slugify(text: str) -> str:
    """A stable id from a file name: lower case, hyphens between words."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_story(
    draft: StoryDraft, defaults: StoryDefaults, published: datetime | None = None
) -> LoadedStory:
    """Fill derived values into a draft and validate it; raise StoryError naming the line."""
    fields = dict(draft.fields)
    origins = {name: f"line {draft.lines[(name,)]}" for name in fields if (name,) in draft.lines}
    for name in fields:
        origins.setdefault(name, "file")

    if not fields.get("id"):
        fields["id"] = slugify(draft.path.stem)
        origins["id"] = "file name"
        if not fields["id"]:
            raise StoryError(
                draft.path,
                "the file name gives no id (it needs latin letters or digits): "
                "give the story an 'id' such as tokyo-libraries",
            )
    if published is not None:
        fields["published"] = published
        origins["published"] = "--published"
    elif fields.get("published") is None:
        mtime = draft.path.stat().st_mtime
        fields["published"] = datetime.fromtimestamp(mtime, defaults.timezone).replace(
            microsecond=0
        )
        origins["published"] = "file modification time"
    fields["published"] = _with_timezone(fields["published"], defaults.timezone)
    if not fields.get("url") and isinstance(fields.get("id"), str):
        fields["url"] = defaults.url_pattern.format(id=fields["id"])
        origins["url"] = f"site pattern {defaults.url_pattern}"

    try:
        story = Story.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        raise StoryError(
            draft.path, _reason(first, draft.key_name), _line_of(location, draft.lines)
        ) from None
    for name in STORY_FIELDS - origins.keys():
        origins[name] = "default"
    return LoadedStory(story, origins, draft.path)


def _with_timezone(value: Any, timezone: ZoneInfo) -> Any:
    """Dates and naive times are in the site's timezone; anything else is left to validation."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone)
    return value


def _line_of(location: Location, lines: Mapping[Location, int]) -> int | None:
    """The line of the deepest part of `location` that the loader recorded."""
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def _reason(error: Mapping[str, Any], key_name: str) -> str:
    location = tuple(error["loc"])
    where = _describe(location)
    if error["type"] == "extra_forbidden":
        key = str(location[-1])
        if len(location) == 1:
            close = difflib.get_close_matches(key, STORY_FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown {key_name} '{key}'{hint}"
        return f"unknown key '{key}' in {_describe(location[:-1])}"
    if error["type"] == "missing":
        return f"{where} is missing"
    if location == ("published",):
        return (
            f"bad date in 'published': {error.get('input')!r} is not a date such as "
            "2026-11-20 or 2026-11-20T08:00:00+01:00"
        )
    if error["type"] == "string_type":
        return f"{where}: must be text, not {error.get('input')!r} (put it in quotes)"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


_WORDS = {"q": "question", "a": "answer"}


def _describe(location: Location) -> str:
    """('faq', 2, 'a') -> "faq entry 3, answer": for people rather than programs."""
    words: list[str] = []
    for part in location:
        if isinstance(part, int) and words:
            words[-1] = f"{words[-1]} entry {part + 1}"
        else:
            words.append(_WORDS.get(str(part), str(part)))
    return ", ".join(words) if words else "story"
