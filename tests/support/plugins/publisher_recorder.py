"""A channel for tests, installed through the `publisher` entry-point group like any plugin.

Its "server" is a JSON-lines file: each delivered part is a line with an id,
the text and the id it replies to. Settings make it fail on demand: a
permanent error at one part, passing errors a number of times, or a hang at
one part (after writing a `ready` file) so a test can kill the process while
the part is in flight.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from publisher import (
    Channel,
    ChannelSettings,
    DeliveryError,
    Part,
    RateLimited,
    Rendition,
    Secret,
    Sent,
    TemporaryFailure,
    hookimpl,
)


class RecorderSettings(ChannelSettings):
    path: Path
    fail_at: int | None = None  # this part number fails for good
    flaky_at: int | None = None  # this part number fails `flaky_times` times first
    flaky_times: int = 0
    limited_at: int | None = None  # this part number is refused once: rate limited (429)
    retry_after: float = 0.0  # seconds the rate limit asks to wait
    hang_at: int | None = None  # this part number hangs until the process is killed
    delay: float = 0.0  # seconds each delivery takes, for tests that stop a run midway
    lose_answer_at: int | None = None  # this part is posted, then the answer is lost (503)
    crash_in_render: bool = False  # a bug in the plugin, not a delivery failure
    honour_keys: bool = True  # a repeated idempotency key returns the earlier post
    token: Secret | None = None  # echoed in errors, as careless client libraries do


class RecorderChannel(Channel):
    name = "recorder"
    settings_model = RecorderSettings
    _path: Path | None = None  # the destination's log, once rendered for it

    def render(self, edition, destination):
        """A thread: the headline, then one part per section of every story."""
        self._path = destination.settings.path
        if destination.settings.crash_in_render:
            raise RuntimeError("the recorder's render has a bug")
        texts = [edition.lead.headline]
        texts += [
            f"{s.heading}: {s.paragraphs[0]}" for story in edition.stories for s in story.sections
        ]
        return Rendition(
            tuple(Part(text, len(text), None, n - 1 if n else None) for n, text in enumerate(texts))
        )

    def deliver(self, part, context):
        settings = context.destination.settings
        posts = _read(settings.path)
        if settings.honour_keys:
            for post in posts:
                if post["key"] == context.idempotency_key:
                    return Sent(post["id"], post["url"])
        echo = f" (token {settings.token.reveal()})" if settings.token else ""
        if context.number == settings.fail_at:
            raise DeliveryError(f"the server refused part {context.number}{echo}")
        if context.number == settings.flaky_at:
            settings.path.parent.mkdir(parents=True, exist_ok=True)
            failures = settings.path.with_suffix(".failures")
            seen = int(failures.read_text()) if failures.exists() else 0
            if seen < settings.flaky_times:
                failures.write_text(str(seen + 1))
                raise TemporaryFailure(f"server error 503 on part {context.number}{echo}")
        if context.number == settings.limited_at:
            settings.path.parent.mkdir(parents=True, exist_ok=True)
            limited = settings.path.with_suffix(".limited")
            if not limited.exists():
                limited.write_text("1")
                raise RateLimited("429 Too Many Requests", retry_after=settings.retry_after)
        if context.number == settings.hang_at:
            settings.path.parent.mkdir(parents=True, exist_ok=True)
            settings.path.with_suffix(".ready").write_text(str(context.number))
            while True:
                time.sleep(1)
        time.sleep(settings.delay)
        post = {
            "id": str(len(posts) + 1),
            "url": f"https://recorder.example/{len(posts) + 1}",
            "text": part.text,
            "reply_to": context.reply_to.id if context.reply_to else None,
            "key": context.idempotency_key,
            "edition": context.edition.id,
        }
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        with settings.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(post) + "\n")
        if context.number == settings.lose_answer_at:
            raise TemporaryFailure(f"connection dropped after part {context.number} was posted")
        return Sent(post["id"], post["url"])

    def close(self):
        """Say so in a `.closed` file beside the log, when its folder is there, for tests that
        check every channel a run opened is closed."""
        if self._path is not None and self._path.parent.is_dir():
            with self._path.with_suffix(".closed").open("a", encoding="utf-8") as file:
                file.write("closed\n")

    def recover(self, part, context):
        """Look the part up on the "server" by its key, as a real channel would by its text."""
        for post in _read(context.destination.settings.path):
            if post["key"] == context.idempotency_key:
                return Sent(post["id"], post["url"])
        return None


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@hookimpl
def publisher_register_channels(register):
    register(RecorderChannel)
