"""JSON stories (`.json`): the machine format, one object with the Story's keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

from publisher.errors import StoryError
from publisher.hookspecs import hookimpl
from publisher.loaders import mark_generated
from publisher.loading import Location, StoryDraft, read_story_text, yaml_lines


@hookimpl(trylast=True)
def publisher_load_story(path: Path) -> StoryDraft | None:
    if path.suffix.lower() != ".json":
        return None
    text = read_story_text(path)
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoryError(path, f"invalid JSON: {error.msg}", error.lineno) from None
    if not isinstance(fields, dict):
        raise StoryError(path, "a JSON story must be one object with the story's keys", 1)
    draft = StoryDraft(path, fields, yaml_lines(text) or _key_lines(text, fields))
    mark_generated(draft)
    return draft


def _key_lines(text: str, fields: dict) -> dict[Location, int]:
    """Top-level key lines, for the JSON that YAML cannot read (tab indentation)."""
    lines: dict[Location, int] = {}
    for key in fields:
        found = re.search(rf'"{re.escape(key)}"\s*:', text)
        if found:
            lines[(key,)] = text.count("\n", 0, found.start()) + 1
    return lines
