"""Markdown stories (`.md`): YAML front matter for the fields, `## Heading` blocks for sections.

Body sections named "The story so far", "Frequently Asked" and "Methodology" may
stand in for the front matter keys; inline Markdown is reduced to plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.hookspecs import hookimpl

# The reader (pyromark, the YAML reader) loads with the first story, not with the plugin
# (`publisher --help`).
if TYPE_CHECKING:
    from pathlib import Path

    from publisher.loading import StoryDraft


@hookimpl(trylast=True)
def publisher_load_story(path: Path) -> StoryDraft | None:
    if path.suffix.lower() not in {".md", ".markdown"}:
        return None
    from publisher.loaders.markdown_reader import read_markdown

    return read_markdown(path)
