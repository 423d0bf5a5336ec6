"""The Story model: what every loader produces and every channel reads.

Validation lives here so that all input formats are held to the same rules; the
loading step (`publisher.loading`) turns a failed validation into a file and line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from publisher.lines import UNSAFE

# Control characters and bidi overrides, as publisher.lines defines them (tab and line feed
# aside: each cleaner folds or keeps those itself).
_CONTROL = re.compile(f"[{UNSAFE}]")
_SPACES = re.compile(r"\s+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_LINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_CHANNEL = re.compile(r"[a-z][a-z0-9_-]*")
_GENERATED = re.compile(
    r"\bgenerated\s+autonomously\b|\bno\s+human\s+editorial\s+(?:judge?ment|review|oversight)",
    re.IGNORECASE,
)

# The ledger keys a publication by `story-{id}` in 200 characters, and the email plugin
# a send by `{edition}/{destination}/{round}` in 300 (destination names up to 100).
MAX_ID_LENGTH = 150
# Far enough from datetime's own ends (years 1 and 9999) that moving a date to another
# timezone, or a digest's window of up to 100 years back from it, never overflows.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def clean_line(value: str) -> str:
    r"""One line of text: NFC, no control characters or bidi overrides, runs of white space
    folded.

    Headlines and titles end up in mail headers, post openings and pages, so CR and LF
    (and C1 controls, and the overrides that reorder what a reader sees) become spaces
    here, once, rather than guarded against in each channel.

    >>> clean_line("  Trams\r\n  return\t today ")
    'Trams return today'
    >>> clean_line("Harbour\u202e news\x9b2J")
    'Harbour news 2J'
    """
    return _SPACES.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFC", value))).strip()


def clean_block(value: str) -> str:
    """Text of one or more paragraphs: NFC, no control characters, blank lines kept."""
    value = _CONTROL.sub(" ", unicodedata.normalize("NFC", value.replace("\r\n", "\n")))
    paragraphs = (_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", value))
    return "\n\n".join(p for p in paragraphs if p)


def clean_post(value: str) -> str:
    """A hand-written post: NFC, no control characters, its line breaks kept as written
    (a blank line at most), white space folded within each line."""
    value = _CONTROL.sub(" ", unicodedata.normalize("NFC", value.replace("\r\n", "\n")))
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def says_generated(methodology: str) -> bool:
    """Whether a methodology says an editorial model wrote the story without a person holding
    editorial responsibility, as the pipeline's exports do ("generated autonomously from
    20 source records ... No human editorial judgment was applied")."""
    return bool(_GENERATED.search(methodology))


def _required(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _slug(value: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(
            f"{len(value)} characters is too long: at most {MAX_ID_LENGTH} fit the state database"
        )
    if not _SLUG.fullmatch(value):
        raise ValueError("must be a slug: lower-case letters, digits and single hyphens")
    return value


def _url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise ValueError("must be an absolute http(s) URL")
    return value


def _channel(value: str) -> str:
    if not _CHANNEL.fullmatch(value):
        raise ValueError(f"'{value}' is not a channel name such as x or mastodon")
    return value


def _sane_date(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(
            f"{value.isoformat()} is not between the years {EARLIEST_YEAR} and {LATEST_YEAR}, "
            "the dates Publisher accepts"
        )
    return value


def _language(value: str) -> str:
    if not _LANGUAGE_TAG.fullmatch(value):
        raise ValueError("must be a BCP 47 language tag such as 'en' or 'pt-BR'")
    return value


OneLine = Annotated[str, AfterValidator(clean_line)]
RequiredLine = Annotated[str, AfterValidator(clean_line), AfterValidator(_required)]
Block = Annotated[str, AfterValidator(clean_block)]
RequiredBlock = Annotated[str, AfterValidator(clean_block), AfterValidator(_required)]
Url = Annotated[str, AfterValidator(str.strip), AfterValidator(_url)]
"""A settings or story field that holds an http(s) URL, checked when it is read.

>>> from publisher import ChannelSettings
>>> class HookSettings(ChannelSettings):
...     url: Url
>>> HookSettings(channel="hook", url=" https://hooks.example.org/in ").url
'https://hooks.example.org/in'
"""
PostText = Annotated[str, AfterValidator(clean_post), AfterValidator(_required)]
ChannelName = Annotated[str, AfterValidator(_channel)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


class Section(_Model):
    heading: OneLine = ""
    paragraphs: list[RequiredBlock] = Field(min_length=1)


class FaqEntry(_Model):
    """A question and its answer; story files spell the keys `q` and `a`."""

    question: RequiredLine = Field(alias="q")
    answer: RequiredBlock = Field(alias="a")


class RelatedStory(_Model):
    title: RequiredLine
    dek: OneLine = ""
    url: Url | None = None
    relation: OneLine | None = None


class Source(_Model):
    title: RequiredLine
    url: Url | None = None
    publisher: OneLine | None = None


class Image(_Model):
    url: Url
    alt: OneLine = ""


class Story(_Model):
    """One story as the editorial pipeline wrote it, validated and normalised.

    The fields are those of the story files (README: "Add a story"); `faq`
    entries have `question` and `answer`, `sections` a `heading` and
    `paragraphs`.

    >>> from publisher.testing import make_story
    >>> story = make_story(id="trams", headline="Trams  Return", tags=["transport"])
    >>> (story.headline, story.url, story.language)
    ('Trams Return', 'https://news.example.org/stories/trams', 'en')
    >>> story.faq[0].question
    'How long is the crossing?'
    """

    id: Annotated[str, AfterValidator(_slug), Field(json_schema_extra={"maxLength": MAX_ID_LENGTH})]
    headline: RequiredLine
    dek: OneLine = ""
    sections: list[Section] = []
    summary: Block = ""
    faq: list[FaqEntry] = []
    related: list[RelatedStory] = []
    sources: list[Source] = []
    source_count: int | None = Field(default=None, ge=0)
    methodology: Block = ""
    url: Url
    published: Annotated[
        AwareDatetime,
        AfterValidator(_sane_date),
        Field(description=f"Between the years {EARLIEST_YEAR} and {LATEST_YEAR}."),
    ]
    tags: list[RequiredLine] = []
    language: Annotated[str, AfterValidator(_language)] = "en"
    image: Image | None = None
    priority: int = 0  # higher comes first in a digest; equal priorities, newest first
    generated: bool = Field(
        default=False,
        description="An editorial model wrote the story and no person holds editorial "
        "responsibility for it: every channel says so. Read from a methodology such as "
        "'generated autonomously ... No human editorial judgment was applied' when not given.",
    )
    posts: dict[ChannelName, list[PostText]] = Field(
        default={},
        description="Hand-written posts per channel (x, mastodon, ...), replacing the "
        "automatic thread for that channel; each must fit the channel's limit.",
    )


STORY_FIELDS = frozenset(Story.model_fields)
