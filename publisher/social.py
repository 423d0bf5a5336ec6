"""Posts and replies: the shape Mastodon, X, Bluesky and their kind share.

A channel decides what its root post says and how it counts; the thread that
follows (the rest of the summary, one FAQ entry per reply) is built the same
way for all of them, so no channel writes its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import regex
from pydantic import AfterValidator

from publisher.channel import Part
from publisher.story import FaqEntry
from publisher.templates import Templates
from publisher.text import Counter, split

ThreadMode = Literal["none", "summary", "faq"]

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
_NOT_WORD = regex.compile(r"[^\p{L}\p{N}_]+")


def hashtag(tag: str) -> str:
    """'open source' -> '#OpenSource', 'GPT-4o' -> '#GPT4o'; '' when nothing is left."""
    words = [word for word in _NOT_WORD.split(tag) if word]
    return "#" + "".join(word[0].upper() + word[1:] for word in words) if words else ""


def hashtags(tags: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(tag for tag in map(hashtag, tags) if tag))


def digest_title(pattern: str, site: str, date: datetime) -> str:
    """A digest's title from a destination's `digest_title` pattern: `{site}` is the site's
    name, `{date}` the end of the digest's window. Shared so that every channel (and the
    check in `DigestTitle`) offers the same placeholders."""
    return pattern.format(site=site, date=date)


def _valid_digest_title(pattern: str) -> str:
    """Try the pattern on sample values when the configuration loads, so that a bad
    placeholder is named there instead of failing the first digest."""
    allowed = "the allowed placeholders are {site} and {date}, as in {date:%d %B %Y}"
    try:
        digest_title(pattern, "Site", datetime(2026, 1, 1, tzinfo=UTC))
    except KeyError as error:
        raise ValueError(f"unknown placeholder {{{error.args[0]}}}; {allowed}") from None
    except IndexError:
        raise ValueError(f"a placeholder without a name; {allowed}") from None
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"not a valid pattern ({error}); {allowed}") from None
    return pattern


DigestTitle = Annotated[str, AfterValidator(_valid_digest_title)]
"""A settings field for a digest title pattern, checked when the configuration loads."""


def post_template(templates: Templates, name: str) -> Callable[[Mapping[str, str]], str]:
    """A template as a function of its fields, with the blank lines of empty fields removed."""

    def render(fields: Mapping[str, str]) -> str:
        return _BLANK_LINES.sub("\n\n", templates.render(name, **fields)).strip()

    return render


def thread_posts(
    mode: ThreadMode,
    summary_rest: str,
    faq: Sequence[FaqEntry],
    limit: int,
    count: Counter,
) -> list[str]:
    """Replies after a root post: what is left of the summary, then one FAQ entry each.

    `summary` and `faq` both carry on the summary the root had to cut;
    `faq` adds the FAQ, an entry per reply, split and numbered when long.
    """
    if mode == "none":
        return []
    posts = split(summary_rest, limit, count, at_sentences=True)
    if mode == "faq":
        for entry in faq:
            entry_text = f"Q: {entry.question}\nA: {entry.answer}"
            posts += split(entry_text, limit, count, at_sentences=True)
    return posts


def chain(
    posts: Sequence[str],
    limit: int,
    count: Counter,
    root: Mapping[str, Any] | None = None,
    reply: Mapping[str, Any] | None = None,
) -> tuple[Part, ...]:
    """Parts for a thread: the first post is the root, each next one replies to the one before."""
    return tuple(
        Part(
            text=text,
            length=count(text),
            limit=limit,
            reply_to=None if number == 0 else number - 1,
            extra=dict((root if number == 0 else reply) or {}),
        )
        for number, text in enumerate(posts)
    )
