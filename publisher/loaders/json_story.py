"""JSON stories (`.json`): the machine format, one object with the Story's keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.errors import StoryError
from publisher.hookspecs import hookimpl
from publisher.loaders import mark_generated

# The loading helpers load with the first story, not with the plugin (`publisher --help`).
if TYPE_CHECKING:
    from pathlib import Path

    from publisher.loading import StoryDraft


@hookimpl(trylast=True)
def publisher_load_story(path: Path) -> StoryDraft | None:
    from publisher.loading import StoryDraft, read_story_text

    if path.suffix.lower() != ".json":
        return None
    from publisher.loaders.strict import Refused, read_json  # PyYAML: loaded with a story

    try:
        fields, lines = read_json(read_story_text(path))
    except Refused as refused:
        raise StoryError(path, refused.reason, refused.line) from None
    if not isinstance(fields, dict):
        raise StoryError(path, "a JSON story must be one object with the story's keys", 1)
    draft = StoryDraft(path, fields, lines)
    mark_generated(draft)
    return draft
