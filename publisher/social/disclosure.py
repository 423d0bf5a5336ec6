"""The disclosure of a generated story: where a thread says that an editorial model
wrote it (in the root post, or as the thread's last post), and what it says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from publisher.channel import Destination
from publisher.edition import Edition
from publisher.social.blocks import Block, post_block, shared_template
from publisher.social.settings import DisclosureMode, SocialSettings, digest_title
from publisher.story import Story
from publisher.templates import Templates
from publisher.text import ELLIPSIS, Counter, cut, fit, graphemes


@dataclass(frozen=True)
class Disclosure:
    """How a thread says that an editorial model wrote its story: `inline` is said in the
    root post, `post` as the thread's last post; `mode` is the destination's choice.

    >>> from publisher.social import text_block
    >>> last = text_block("“Trams Return” was written by an AI model.", len, "en")
    >>> Disclosure("last", "Written by an AI model.", last).post.posts(300)
    ('“Trams Return” was written by an AI model.',)
    """

    mode: DisclosureMode
    inline: str
    post: Block


def disclosure_for(
    edition: Edition, destination: Destination[SocialSettings], count: Counter
) -> Disclosure | None:
    """The disclosure of an edition with a generated story, from `disclosure.txt`
    (`shared_template`); None when no story is generated or the destination's `disclosure`
    is "none".

    The template is given `where` ("root" or "post"), `language`, `headline` (the first
    generated story's), `headlines` (every generated story's), `title` (a digest's),
    `sources` (its source count), `generated` and `stories` (how many of how many). A
    digest's closing post names the generated stories: their headlines whole when they fit,
    else each shortened alike (marked "…"). A template that writes nothing for a language
    is asked again in English, and the post is marked English.

    Example, in a render (see `thread`)::

        disclosure = disclosure_for(edition, destination, count)
        composed = thread(root, replies, limit=300, count=count, disclosure=disclosure)
    """
    settings = destination.settings
    generated = [story for story in edition.stories if story.generated]
    if settings.disclosure == "none" or not generated:
        return None
    first = generated[0]
    end = edition.end if edition.kind == "digest" else None
    title = digest_title(settings.digest_title, destination.site.name, end) if end else ""
    fields = _disclosure_fields(generated, len(edition.stories), title)
    template = shared_template(destination.templates, destination.channel, "disclosure.txt")
    language = _disclosure_language(template, fields, first.language)
    inline = template({**fields, "where": "root", "language": language})
    post = {**fields, "where": "post", "language": language}
    if end is not None:
        block = _naming_block(template, post, count, language)
    else:
        block = post_block(template, post, count, language, cuttable=["headline"])
    return Disclosure(settings.disclosure, inline, block)


def story_disclosure(story: Story, templates: Templates, channel: str) -> str:
    """The line that says an editorial model wrote `story`, for a channel that shows the
    story whole (the email puts it under each generated story): `disclosure.txt` as a root
    post says it (`where` "root"), from `{channel}/disclosure.txt` when there is one, else
    `social/disclosure.txt`; "" for a story a person is responsible for.

    >>> from publisher.testing import make_story
    >>> story = make_story(generated=True, source_count=20)
    >>> story_disclosure(story, Templates([]), "email")
    'Written by an AI model from 20 source records; no person reviewed it before publication.'
    >>> story_disclosure(make_story(), Templates([]), "email")
    ''
    """
    if not story.generated:
        return ""
    template = shared_template(templates, channel, "disclosure.txt")
    fields = _disclosure_fields([story], 1, "")
    language = _disclosure_language(template, fields, story.language)
    return template({**fields, "where": "root", "language": language})


def _disclosure_fields(generated: Sequence[Story], stories: int, title: str) -> dict[str, Any]:
    first = generated[0]
    return {
        "headline": first.headline,
        "headlines": [story.headline for story in generated],
        "title": title,
        "sources": str(first.source_count or "") if not title else "",
        "generated": str(len(generated)),
        "stories": str(stories),
    }


def _disclosure_language(
    template: Callable[[Mapping[str, Any]], str], fields: Mapping[str, Any], language: str
) -> str:
    """The story's language when the template writes something for it, else English."""
    return language if template({**fields, "where": "post", "language": language}) else "en"


def _naming_block(
    template: Callable[[Mapping[str, Any]], str],
    fields: Mapping[str, Any],
    count: Counter,
    language: str,
) -> Block:
    """A digest's closing disclosure, naming each generated story: the headlines whole when
    the post has room, else all shortened to the longest length that fits, else the title
    cut too."""
    whole = list(fields["headlines"])

    def named(most: int | None) -> dict[str, Any]:
        names = whole if most is None else [_shortened(headline, most) for headline in whole]
        return {**fields, "headlines": names, "headline": names[0]}

    def build(room: int) -> list[str]:
        def fits(most: int | None) -> bool:
            return count(template(named(most))) <= room

        if fits(None):
            return [template(named(None))]
        best, low, high = 1, 1, max(map(graphemes, whole)) - 1
        while low <= high:  # the most graphemes a name may keep; fewer always fit better
            middle = (low + high) // 2
            if fits(middle):
                best, low = middle, middle + 1
            else:
                high = middle - 1
        values = named(best)
        return [fit(template, values, room, count, cuttable=["title"]).text]

    return Block(build, language)


def _shortened(headline: str, most: int) -> str:
    """A headline in at most `most` graphemes, "…" included: cut at a word if one fits."""
    head = cut(headline, most, graphemes)[0] or cut(headline, most, graphemes, inside_words=True)[0]
    return head or ELLIPSIS


def with_disclosure(
    render: Callable[[Mapping[str, str]], str],
) -> Callable[[Mapping[str, str]], str]:
    r"""A root template that always says its `disclosure`: after the rest, when a user's
    own template leaves it out.

    >>> post = with_disclosure(lambda fields: fields["headline"])  # a template without it
    >>> post({"headline": "Trams Return", "disclosure": "Written by an AI model."})
    'Trams Return\n\nWritten by an AI model.'
    """

    def rendered(fields: Mapping[str, str]) -> str:
        text = render(fields)
        disclosure = fields.get("disclosure", "")
        return f"{text}\n\n{disclosure}" if disclosure and disclosure not in text else text

    return rendered
