"""Built-in story loaders, one module per input format, each registered as a plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.loading import StoryDraft


def mark_generated(draft: StoryDraft) -> None:
    """Set `generated` from the methodology, on the methodology's line, unless the file sets it.

    Every format reads it the same way, so the same story gives the same Story.
    """
    methodology = draft.fields.get("methodology")
    if "generated" in draft.fields or not isinstance(methodology, str):
        return
    from publisher.story import says_generated

    if says_generated(methodology):
        draft.fields["generated"] = True
        line = draft.lines.get(("methodology",))
        if line is not None:
            draft.lines[("generated",)] = line
