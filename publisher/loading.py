"""From a file on disk to a validated Story, with every error pointing at a line.

Loaders (one per input format, each a plugin) only parse syntax into a
`StoryDraft`; filling derived values and validating happen here, once, so that
every format reports problems the same way.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from publisher.errors import StoryError

if TYPE_CHECKING:
    from publisher.story import Story

Location = tuple[str | int, ...]

DEFAULT_SIZE_LIMIT = 1_000_000  # bytes; [site] max_story_size
_size_limit: ContextVar[int] = ContextVar("story_size_limit", default=DEFAULT_SIZE_LIMIT)
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


@dataclass
class StoryDraft:
    """What a loader read from a file: raw values, and the line each was found on.

    `lines` maps keys (tuples such as `("faq", 0, "a")`) to line numbers, so that
    a value that does not validate is named with its line. The core fills in
    `id`, `url` and `published` and validates, the same for every format.

    >>> from pathlib import Path
    >>> draft = StoryDraft(Path("brief.ini"), {"headline": "Trams Return"}, {("headline",): 1})
    >>> draft.lines[("headline",)]
    1
    """

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

    def line_of(self, name: str) -> int | None:
        """The file line a field was read from, when it was read from one."""
        origin = self.origins.get(name, "")
        return int(origin.removeprefix("line ")) if origin.startswith("line ") else None


def _any_channel(name: str) -> str | None:
    return None


@dataclass(frozen=True)
class StoryDefaults:
    """Site settings that fill what a story file leaves out, and what `posts` may be keyed
    by: `posts_channel(name)` says why `name` is no channel that takes posts, or None."""

    url_pattern: str
    timezone: ZoneInfo
    posts_channel: Callable[[str], str | None] = _any_channel


@contextmanager
def size_limit(limit: int) -> Iterator[None]:
    """Files read by `read_story_text` inside this block may have at most `limit` bytes.

    The loader hook takes only a path, so the site's limit travels beside it.
    """
    token = _size_limit.set(limit)
    try:
        yield
    finally:
        _size_limit.reset(token)


def read_story_text(path: Path) -> str:
    """Read a story file as UTF-8 text, refusing binary and oversized files with a clear reason.

    The size is checked before reading, and no more than the limit is ever read,
    so a huge file costs neither time nor memory.
    """
    limit = _size_limit.get()
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(limit + 1) if size <= limit else b""
    except OSError as error:
        raise StoryError(path, f"cannot read file: {error.strerror or error}") from None
    if size > limit or len(data) > limit:
        raise StoryError(
            path,
            f"{max(size, len(data)):,} bytes is more than the {limit:,} a story file may have "
            "([site] max_story_size)",
        )
    if b"\x00" in data:
        raise StoryError(path, "binary file, not a story (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise StoryError(path, "not UTF-8 text", line) from None


def printable(text: str, limit: int = 60) -> str:
    """Text as it can stand in a one-line error: control characters escaped, shortened."""
    text = _UNPRINTABLE.sub(lambda found: repr(found.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    surrogate = _lone_surrogate(fields)
    if surrogate is not None:
        location, character = surrogate
        raise StoryError(
            draft.path,
            f"{_describe(location)}: {character!r} is half of a UTF-16 pair, not text "
            "(a JSON escape such as \\ud800 without its partner)",
            _line_of(location, draft.lines),
        )
    from pydantic import ValidationError  # pydantic and the model load with the first story

    from publisher.story import STORY_FIELDS, Story

    try:
        story = Story.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        raise StoryError(
            draft.path, _reason(first, draft.key_name), _line_of(location, draft.lines)
        ) from None
    _check_posts(story, draft, defaults)
    for name in STORY_FIELDS - origins.keys():
        origins[name] = "default"
    return LoadedStory(story, origins, draft.path)


def _check_posts(story: Story, draft: StoryDraft, defaults: StoryDefaults) -> None:
    """Hand-written posts that would never go out as meant: under a name that is no channel
    taking posts (they would be ignored), or one post twice in a channel's list (X refuses
    the second, leaving the thread half-posted)."""
    for channel, posts in story.posts.items():
        problem = defaults.posts_channel(channel)
        if problem is not None:
            where = _line_of(("posts", channel), draft.lines)
            raise StoryError(draft.path, f"story '{story.id}': posts.{channel}: {problem}", where)
        seen: dict[str, int] = {}
        for number, text in enumerate(posts, start=1):
            folded = " ".join(text.split())  # as platforms compare posts, and the ledger
            if folded in seen:
                raise StoryError(
                    draft.path,
                    f"story '{story.id}': posts.{channel}, post {number} is the same as post "
                    f"{seen[folded]}: X refuses a post identical to one the account already "
                    "made, and would stop the thread there; make each post different",
                    _line_of(("posts", channel, number - 1), draft.lines),
                )
            seen[folded] = number


def _lone_surrogate(value: Any) -> tuple[Location, str] | None:
    """The first key or text holding half of a UTF-16 pair, which no output can encode."""
    pending: list[tuple[Any, Location]] = [(value, ())]
    while pending:
        item, location = pending.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                return location, found.group()
        elif isinstance(item, dict):
            for key, child in item.items():
                here = (*location, key)
                pending.append((key, here))
                pending.append((child, here))
        elif isinstance(item, list | tuple):
            pending.extend((child, (*location, index)) for index, child in enumerate(item))
    return None


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
            from publisher.story import STORY_FIELDS

            close = difflib.get_close_matches(key[:100], STORY_FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown {key_name} '{printable(key)}'{hint}"
        return f"unknown key '{printable(key)}' in {_describe(location[:-1])}"
    if error["type"] == "missing":
        return f"{where} is missing"
    if location == ("published",) and error["type"] == "value_error":
        return f"bad date in 'published': {error['msg'].removeprefix('Value error, ')}"
    if location == ("published",):
        return (
            f"bad date in 'published': {printable(repr(error.get('input')))} is not a date such as "
            "2026-11-20 or 2026-11-20T08:00:00+01:00"
        )
    if error["type"] == "string_type":
        return (
            f"{where}: must be text, not {printable(repr(error.get('input')))} (put it in quotes)"
        )
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
            words.append(_WORDS.get(str(part), printable(str(part), 40)))
    return ", ".join(words) if words else "story"
