"""Channels that each break one rule of the channel contract, and one that keeps them all.

`tests/test_contract_checks.py` runs the contract against each, to show that
every check fails for the channel it is meant to catch. They post a thread of
JSON documents (`{"text", "in_reply_to"}`) to the loopback recorder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from publisher import (
    Channel,
    ChannelSettings,
    DeliveryError,
    Part,
    Rendition,
    Secret,
    Sent,
    TemporaryFailure,
    Url,
)
from publisher.testing import Arrival, ChannelContract, Recorder

LIMIT = 500
TOKEN = "thread-secret-token-4711"
log = logging.getLogger("publisher.channels.thread")


class ThreadSettings(ChannelSettings):
    url: Url
    token: Secret | None = None


class Thread(Channel):
    """One post per story, each replying to the one before: keeps every rule."""

    name = "thread"
    settings_model = ThreadSettings

    def render(self, edition, destination):
        parts = []
        for index, story in enumerate(edition.stories):
            text = f"{story.headline}\n{story.url}"
            reply_to = index - 1 if index else None
            parts.append(Part(text, length=len(text), limit=LIMIT, reply_to=reply_to))
        return Rendition(tuple(parts))

    def deliver(self, part, context):
        reply_to = context.reply_to.id if context.reply_to else None
        answer = self.post(
            context.destination.settings, {"text": part.text, "in_reply_to": reply_to}
        )
        return Sent(answer["id"], answer["url"])

    def post(self, settings: ThreadSettings, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.address(settings), data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        if settings.token:
            request.add_header("Authorization", f"Bearer {settings.token.reveal()}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise TemporaryFailure(f"the server answered {error.code}") from error
            raise DeliveryError(self.refusal(settings, error.code)) from error
        except OSError as error:
            raise TemporaryFailure(f"the server is unreachable: {error}") from error

    def address(self, settings: ThreadSettings) -> str:
        return settings.url

    def refusal(self, settings: ThreadSettings, code: int) -> str:
        return f"the server refused the post: {code}"


class ThreadContract(ChannelContract):
    channel_class = Thread
    settings = {"channel": "thread", "url": "https://hooks.example.org/posts", "token": TOKEN}

    def deliver_to(self, endpoint: Recorder) -> dict[str, Any]:
        return {"channel": "thread", "url": f"{endpoint.url}/posts", "token": TOKEN}

    def delivered(self, endpoint: Recorder) -> list[Arrival]:
        """The recorder numbers the requests it accepts from 1: those are the posts' ids."""
        return [
            Arrival(request.json()["text"], str(number), request.json()["in_reply_to"])
            for number, request in enumerate(endpoint.accepted, start=1)
        ]

    def measure(self, part: Part) -> int:
        return len(part.text)


# One broken rule each ---------------------------------------------------------------------


class LooksUpTheNetwork(Thread):
    """Checks the story's link while rendering, and hides that it failed."""

    def render(self, edition, destination):
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        return super().render(edition, destination)


class ReadsTheClock(Thread):
    def render(self, edition, destination):
        rendition = super().render(edition, destination)
        stamp = f" ({time.perf_counter_ns()})"
        first = rendition.parts[0]
        text = first.text + stamp
        return Rendition((Part(text, len(text), LIMIT), *rendition.parts[1:]))


class ChangesTheEdition(Thread):
    def render(self, edition, destination):
        edition.lead.headline = edition.lead.headline.upper()
        return super().render(edition, destination)


class OverTheLimit(Thread):
    def render(self, edition, destination):
        text = edition.lead.headline * 60
        return Rendition((Part(text, len(text), LIMIT),))


class MiscountsLength(Thread):
    def render(self, edition, destination):
        parts = super().render(edition, destination).parts
        return Rendition(tuple(Part(p.text, len(p.text.split()), LIMIT, p.reply_to) for p in parts))


class RepliesForward(Thread):
    def render(self, edition, destination):
        parts = super().render(edition, destination).parts
        if len(parts) > 1:
            parts = (Part(parts[0].text, parts[0].length, LIMIT, reply_to=1), *parts[1:])
        return Rendition(parts)


class PostsUnthreaded(Thread):
    """Ignores the part it should answer: every post arrives on its own."""

    def deliver(self, part, context):
        answer = self.post(context.destination.settings, {"text": part.text, "in_reply_to": None})
        return Sent(answer["id"], answer["url"])


class PostsTheLeadOnly(Thread):
    """Renders the digest's stories, then posts the lead story's text for every part."""

    def deliver(self, part, context):
        lead = context.edition.lead
        text = f"{lead.headline}\n{lead.url}"
        reply_to = context.reply_to.id if context.reply_to else None
        answer = self.post(context.destination.settings, {"text": text, "in_reply_to": reply_to})
        return Sent(answer["id"], answer["url"])


class CatchesUp(Thread):
    """Keeps the thread in memory, and posts again what this instance has not seen posted."""

    def __init__(self) -> None:
        self.posted: set[int] = set()

    def deliver(self, part, context):
        parts = self.render(context.edition, context.destination).parts
        sent = None
        for number in range(1, context.number + 1):
            if number in self.posted:
                continue
            reply_to = sent.id if sent else (context.reply_to.id if context.reply_to else None)
            body = {"text": parts[number - 1].text, "in_reply_to": reply_to}
            answer = self.post(context.destination.settings, body)
            sent = Sent(answer["id"], answer["url"])
            self.posted.add(number)
        return sent


class TokenInItsErrors(Thread):
    def refusal(self, settings, code):
        return f"the server refused the post: {code} (token {settings.token.reveal()})"


class LogsItsToken(Thread):
    def address(self, settings):
        log.debug("posting with %s", settings.token.reveal())
        return settings.url


class PlainTokenSettings(ChannelSettings):
    url: Url
    token: str | None = None


class PlainToken(Thread):
    settings_model = PlainTokenSettings

    def post(self, settings, body):
        return super().post(ThreadSettings(channel="thread", url=settings.url), body)


BROKEN = {
    # channel: the contract test it fails, and what the failure says
    LooksUpTheNetwork: ("test_render_is_pure", "render reached for the network"),
    ReadsTheClock: ("test_render_is_pure", "gave different renditions"),
    ChangesTheEdition: ("test_render_is_pure", "render changed the edition"),
    OverTheLimit: ("test_every_part_is_within_its_limit", "over its limit of 500"),
    MiscountsLength: ("test_every_part_is_within_its_limit", "but measures"),
    RepliesForward: ("test_replies_name_earlier_parts", "which is not before it"),
    PostsUnthreaded: ("test_deliver_gets_the_part_each_reply_answers", "arrived answering None"),
    PostsTheLeadOnly: ("test_a_digest_delivers_every_story", "9 of the digest's 10 stories"),
    CatchesUp: ("test_a_resumed_delivery_repeats_no_part", "a part came twice"),
    TokenInItsErrors: ("test_no_secret_appears_in_any_output", "a secret appears in an error"),
    LogsItsToken: ("test_no_secret_appears_in_any_output", "a secret appears in a log record"),
    PlainToken: ("test_no_secret_appears_in_any_output", "not typed publisher.Secret: ['token']"),
}
