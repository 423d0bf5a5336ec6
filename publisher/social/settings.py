"""What every social destination chooses about its threads, and the digest title they share.

`SocialSettings` is the settings model a social channel subclasses; the
`Literal` aliases name the choices its fields take.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from publisher.config import ChannelSettings, check_pattern

ThreadMode = Literal["none", "summary", "faq"]
"""What a story's thread carries after its root post: nothing, the summary, or the summary
and the FAQ (the `thread` setting).

>>> SocialSettings(channel="bluesky", thread="faq").thread
'faq'
"""


Numbering = Literal["thread", "none"]
"""Whether every post of a thread ends " n/N", the root included (the `numbering` setting).

>>> SocialSettings(channel="bluesky").numbering
'thread'
"""


DisclosureMode = Literal["auto", "root", "last", "none"]
"""Where a thread says that an editorial model wrote its story (the `disclosure` setting):
in the root post, as the last post, "auto" (the last post when there is a thread, else
the root), or nowhere.

>>> SocialSettings(channel="bluesky", disclosure="last").disclosure
'last'
"""


def digest_title(pattern: str, site: str, date: datetime | None) -> str:
    """A digest's title from a destination's `digest_title` pattern: `{site}` is the site's
    name, `{date}` the end of the digest's window (`edition.end`, which every digest has).
    Shared so that every channel (and the check in `DigestTitle`) offers the same
    placeholders.

    >>> week = datetime(2026, 11, 23, tzinfo=UTC)
    >>> digest_title("{site}: the week to {date:%d %B %Y}", "Harbour News", week)
    'Harbour News: the week to 23 November 2026'
    """
    return pattern.format(site=site, date=date)


def _valid_digest_title(pattern: str) -> str:
    """Try the pattern on sample values when the configuration loads, so that a bad
    placeholder is named there instead of failing the first digest."""
    return check_pattern(pattern, {"site": "Site", "date": datetime(2026, 1, 1, tzinfo=UTC)})


DigestTitle = Annotated[str, AfterValidator(_valid_digest_title)]
"""A settings field for a digest title pattern, checked when the configuration loads.

>>> SocialSettings(channel="bluesky", digest_title="{site} weekly").digest_title
'{site} weekly'
>>> SocialSettings(channel="bluesky", digest_title="{sitename}")
Traceback (most recent call last):
pydantic_core._pydantic_core.ValidationError: 1 validation error for SocialSettings
...
"""


class SocialSettings(ChannelSettings):
    """What every social destination chooses about its threads; a channel's settings
    subclass this (and may change a default, as Mastodon does for `thread`).

    >>> class BoardSettings(SocialSettings):
    ...     board: str
    ...     thread: ThreadMode = "faq"
    >>> settings = BoardSettings(channel="board", board="news")
    >>> (settings.thread, settings.numbering, settings.disclosure, settings.max_posts)
    ('faq', 'thread', 'auto', 25)
    """

    thread: ThreadMode = "summary"
    numbering: Numbering = "thread"  # "3/9" on every post, root included; or none
    disclosure: DisclosureMode = "auto"  # where a generated story says so
    digest_title: DigestTitle = "{site}: the week to {date:%d %B %Y}"
    max_posts: int = Field(default=25, ge=1)  # a longer thread is refused, nothing sent
