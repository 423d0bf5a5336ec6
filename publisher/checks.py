"""What `publisher check` tries besides credentials: that each destination's templates render.

Only a channel's render knows which templates it uses, so the check renders a
sample story and a sample digest through it, as a publish would, with every
field of the story filled so that as much of each template runs as can.
A broken template then fails here, naming its file and line, instead of at
the next publish (which would also refuse it, before sending anything).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from publisher.channel import Destination
from publisher.edition import Edition, single
from publisher.story import Story

_END = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _sample(number: int, url_pattern: str) -> Story:
    story_id = f"sample-story-{number}"
    return Story.model_validate(
        {
            "id": story_id,
            "headline": f"Sample headline {number}",
            "dek": "A sample dek, one sentence long.",
            "sections": [
                {"heading": "A first section", "paragraphs": ["One paragraph.", "Another one."]},
                {"heading": "", "paragraphs": ["A section without a heading."]},
            ],
            "summary": "The story so far, in a sentence or two.",
            "faq": [
                {"q": "A first question?", "a": "Its answer."},
                {"q": "A second question?", "a": "Another answer."},
            ],
            "related": [
                {
                    "title": "A related story",
                    "dek": "Its dek.",
                    "url": "https://news.example.org/related",
                    "relation": "similar",
                }
            ],
            "sources": [
                {"title": "A source", "url": "https://example.org/source", "publisher": "Wire"}
            ],
            "source_count": 3,
            # The second is generated, so that the disclosure templates render too.
            "methodology": (
                "Generated autonomously from 3 source records. "
                "No human editorial judgment was applied."
                if number == 2
                else "How the story was made."
            ),
            "generated": number == 2,
            "url": url_pattern.format(id=story_id),
            "published": _END - timedelta(days=number),
            "tags": ["sample", "check"],
            "image": {"url": "https://news.example.org/image.jpg", "alt": "A sample image"},
        }
    )


def sample_editions(destination: Destination) -> list[Edition]:
    """A single-story edition and a digest of two, for trying a destination's templates."""
    stories = [_sample(number, destination.site.url_pattern) for number in (1, 2)]
    return [
        single(stories[0]),
        Edition(
            id="digest-sample",
            kind="digest",
            stories=stories,
            start=_END - timedelta(days=7),
            end=_END,
        ),
    ]
