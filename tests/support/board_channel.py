"""A notice-board channel: the code docs/plugins.md shows for digests, settings paths, secrets
and `recover`, byte for byte (tests/test_plugin_docs.py holds the page to that, and tests the
channel: the contract, and each of those four things).

It posts threads of JSON notes (`{"text", "reply_to"}`) to a board's URL, keeps a copy of
each note in a folder, and finds a note the board already has by its idempotency key.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from pydantic import Field

from publisher import (
    AuthenticationFailed,
    Channel,
    DeliveryError,
    Rendition,
    Secret,
    Sent,
    TemporaryFailure,
    Url,
    hookimpl,
)
from publisher.social import (
    SocialSettings,
    already_posted,
    chain,
    compose,
    digest_title,
    faq_blocks,
    post_block,
    text_block,
)
from publisher.text import graphemes

LIMIT = 500  # graphemes a note holds


class BoardSettings(SocialSettings):
    url: Url
    # From the environment unless the configuration says otherwise (token = "${...}").
    token: Secret = Field(default_factory=lambda: Secret.from_env("BOARD_TOKEN"))
    copies: Path = Path("board")  # a relative path is read from the project folder
    timeout: float = 30.0


def note(fields):
    return f"{fields['headline']}\n{fields['url']}"


def story_note(story):
    fields = {"headline": story.headline, "url": story.url}
    return post_block(note, fields, graphemes, story.language, cuttable=["headline"])


def render(edition, destination):
    """A story: its note, then one reply per question. A digest: its title, then a reply
    for every story in it, each in its own language."""
    if edition.kind == "digest":
        settings = destination.settings
        title = digest_title(settings.digest_title, destination.site.name, edition.end)
        blocks = [text_block(title, graphemes, edition.lead.language)]
        blocks += [story_note(story) for story in edition.stories]
    else:
        story = edition.lead
        blocks = [story_note(story)]
        blocks += faq_blocks(story, destination.templates, destination.channel, graphemes)
    posted = already_posted(destination, edition)
    thread = compose(blocks, LIMIT, graphemes, destination.settings.numbering, posted)
    return Rendition(chain(thread.posts, LIMIT, graphemes), thread.warnings(destination.name))


def copies_folder(destination):
    """`copies` as configured: a relative path is read from the project folder (the one that
    holds config/), like every path in the configuration; `destination.root` is that folder."""
    folder = destination.settings.copies
    return folder if folder.is_absolute() else destination.root / folder


class BoardChannel(Channel):
    name = "board"
    settings_model = BoardSettings

    def render(self, edition, destination):
        return render(edition, destination)

    def deliver(self, part, context):
        settings = context.destination.settings
        reply_to = context.reply_to.id if context.reply_to else None
        body = json.dumps({"text": part.text, "reply_to": reply_to}).encode()
        request = urllib.request.Request(settings.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", context.idempotency_key)
        request.add_header("Authorization", f"Bearer {settings.token.reveal()}")
        answer = ask(request, settings.timeout)
        folder = copies_folder(context.destination)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{context.edition.id}-{context.number}.txt").write_text(part.text, "utf-8")
        return Sent(answer["id"], answer["url"])

    def recover(self, part, context):
        """Called before a part that may have arrived unrecorded (the run died, or the answer
        was lost): ask the board for the note sent with this part's idempotency key, which is
        the same on every attempt. None sends the part again."""
        settings = context.destination.settings
        key = quote(context.idempotency_key)
        request = urllib.request.Request(f"{settings.url}?idempotency_key={key}")
        request.add_header("Authorization", f"Bearer {settings.token.reveal()}")
        answer = ask(request, settings.timeout, absent_ok=True)
        return None if answer is None else Sent(answer["id"], answer["url"])


def ask(request, timeout, absent_ok=False):
    """The board's JSON answer; an error status as the exception that tells the core what
    to do (retry, stop this destination, or fail the part). With `absent_ok`, a 404 (the
    board has no such note) is None."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if absent_ok and error.code == 404:
            return None
        if error.code in (401, 403):
            raise AuthenticationFailed(f"the board refused the token: {error.code}") from error
        if error.code >= 500:
            raise TemporaryFailure(f"the board answered {error.code}") from error
        raise DeliveryError(f"the board refused the note: {error.code}") from error
    except OSError as error:
        raise TemporaryFailure(f"the board is unreachable: {error}") from error


@hookimpl
def publisher_register_channels(register):
    register(BoardChannel)
