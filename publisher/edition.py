"""Editions: what one delivery carries, a single story or a digest of several."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from publisher.story import Story


class Edition(BaseModel):
    """One story, or a digest of stories from a window of time, ready to render.

    `publisher_prepare_edition` hooks change an edition in place; each
    destination gets its own copy, so a change for one never leaks to another.
    `lead` is the first story: the story of a single edition, the top of a digest.

    >>> from publisher.testing import make_story
    >>> edition = single(make_story(headline="Trams Return"))
    >>> (edition.id, edition.kind, edition.lead.headline)
    ('story-sample-story', 'story', 'Trams Return')
    """

    model_config = ConfigDict(validate_assignment=True)

    id: str
    kind: Literal["story", "digest"]
    stories: list[Story] = Field(min_length=1)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None

    @property
    def lead(self) -> Story:
        return self.stories[0]


def single(story: Story) -> Edition:
    """The edition that carries one story (`publisher publish --story`).

    >>> from publisher.testing import make_story
    >>> single(make_story(id="trams")).id
    'story-trams'
    """
    return Edition(id=f"story-{story.id}", kind="story", stories=[story])


def digest(
    stories: Iterable[Story],
    end: datetime,
    since: timedelta,
    exclude: frozenset[str] = frozenset(),
    max_stories: int | None = None,
) -> Edition | None:
    """The stories published in (end - since, end], by priority then newest; None if none.

    `exclude` holds ids already sent, so a story never appears in two digests.
    The id names the window's last day and the stories, so rebuilding the same
    digest gives the same id (and the ledger knows it), while a different choice
    of stories is a different edition.

    >>> from datetime import UTC, datetime, timedelta
    >>> from publisher.testing import make_story
    >>> week = [
    ...     make_story(id="trams", published=datetime(2026, 11, 20, tzinfo=UTC)),
    ...     make_story(id="ferry", published=datetime(2026, 11, 22, tzinfo=UTC), priority=1),
    ...     make_story(id="old", published=datetime(2026, 10, 1, tzinfo=UTC)),
    ... ]
    >>> edition = digest(week, datetime(2026, 11, 23, tzinfo=UTC), timedelta(days=7))
    >>> [story.id for story in edition.stories]
    ['ferry', 'trams']
    >>> digest(week, datetime(2026, 11, 23, tzinfo=UTC), timedelta(days=7), {"ferry", "trams"})
    """
    start = end - since
    chosen = sorted(
        (s for s in stories if start < s.published <= end and s.id not in exclude),
        key=lambda s: (s.priority, s.published, s.id),
        reverse=True,
    )[:max_stories]
    if not chosen:
        return None
    fingerprint = hashlib.sha256(" ".join(sorted(s.id for s in chosen)).encode()).hexdigest()
    return Edition(
        id=f"digest-{end:%Y-%m-%d}-{fingerprint[:8]}",
        kind="digest",
        stories=chosen,
        start=start,
        end=end,
    )
