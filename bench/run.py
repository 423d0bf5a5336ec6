"""Benchmarks: each measures our way against a baseline, in the same process, and prints the ratio.

    .venv/bin/python bench/run.py            # all benchmarks
    .venv/bin/python bench/run.py email      # the ones whose name contains "email"

Figures vary with the machine; the ratios are what BENCHMARKS.md records.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from publisher.channel import Destination
from publisher.edition import Edition, digest, single
from publisher.ledger import Ledger
from publisher.migrate import plugin_histories
from publisher.plugins import load_plugins
from publisher.social import chain, digest_title, post_template
from publisher.state import State
from publisher.story import Story
from publisher.testing import PUBLISHED, hard_stories, make_destination, make_story
from publisher.text import balanced, fit, split
from publisher_email.channel import EmailChannel
from publisher_email.letter import Letter, message_id
from publisher_email.recipients import Recipients
from publisher_email.recipients import recipients as table
from publisher_email.render import UNSUBSCRIBE_TOKEN, render_email
from publisher_email.subscribers import Subscribers
from publisher_x.channel import XChannel
from publisher_x.counting import urls_in
from publisher_x.render import weighted_length

REPEATS = 5


def best(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of several runs, in seconds: the least disturbed by the rest of the machine.

    Every run starts cold: X's cache of the links in recent texts is emptied first.
    """
    times = []
    for _ in range(repeats):
        urls_in.cache_clear()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def report(name: str, ours: float, baseline: float, unit: str, count: int) -> None:
    ratio = (
        f"{baseline / ours:6.1f}x faster" if ours <= baseline else f"{ours / baseline:6.2f}x slower"
    )
    print(
        f"{name:<28} ours {ours / count * 1e3:8.3f} ms/{unit}   "
        f"baseline {baseline / count * 1e3:8.3f} ms/{unit}   ratio {ratio}"
    )


# Email: MJML compiled once, a substitution per recipient ------------------------------------


def bench_email_copies(folder: Path) -> None:
    """Per-recipient cost of a newsletter copy: ours vs. compiling MJML for each recipient."""
    settings = {"channel": "email", "from": "News <news@example.org>", "smtp": "outbox:out"}
    destination = make_destination(EmailChannel, settings, folder)
    edition = single(hard_stories()["long-answer"])
    part, _ = render_email(edition, destination)
    addresses = [f"reader{n}@example.org" for n in range(200)]

    def ours() -> None:
        letter = Letter(part, seed="bench")
        for address in addresses:
            letter.copy(address, message_id("bench", address, letter.sender), "token")

    def baseline() -> None:
        """The obvious way: render and compile the email for each recipient."""
        for address in addresses:
            each, _ = render_email(edition, destination)
            message = EmailMessage()
            message["From"], message["To"] = "news@example.org", address
            message["Subject"] = each.extra["subject"]
            message.set_content(each.text.replace(UNSUBSCRIBE_TOKEN, "token"))
            message.add_alternative(each.extra["html"].replace(UNSUBSCRIBE_TOKEN, "token"), "html")
            message.as_bytes()

    report("email copy per recipient", best(ours, 3), best(baseline, 3), "copy", len(addresses))


# Text: bisection over cut points ------------------------------------------------------------


def bench_thread_split(_: Path) -> None:
    """Splitting a 2,000-character answer for X: bisection vs. trying each word end in turn."""
    answer = hard_stories()["long-answer"].faq[0].answer
    assert len(answer) >= 1900

    def ours() -> list[str]:
        return split(answer, 280, weighted_length)

    def baseline() -> list[str]:
        posts, rest = [], answer
        while rest:
            words = rest.split(" ")
            for end in range(len(words), 0, -1):  # the longest head that fits, found by scanning
                head = " ".join(words[:end])
                if weighted_length(head + " 9/9") <= 280:
                    break
            posts.append(head)
            rest = " ".join(words[end:])
        return posts

    for posts in (ours(), baseline()):
        assert all(weighted_length(post) <= 280 for post in posts)
    report("thread split (X count)", best(ours), best(baseline), "answer", 1)


# Threads: the balanced composer against the splitter it replaced ---------------------------------


def bench_thread_balance(_: Path) -> None:
    """A 2,000-character answer for X: balanced posts (a dynamic programme over cut points,
    each word counted once) vs. the sentence splitter renders used before (galloping search)."""
    answer = hard_stories()["long-answer"].faq[0].answer
    room = 280 - weighted_length(" 99/99")

    def ours() -> list[str]:
        return balanced(answer, room, weighted_length)

    def baseline() -> list[str]:
        return split(answer, 280, weighted_length, at_sentences=True)

    for posts in (ours(), baseline()):
        assert all(weighted_length(post) <= 280 for post in posts)
    report("balanced thread (X count)", best(ours, 30), best(baseline, 30), "answer", 1)
    for name, posts in (("ours", ours()), ("baseline", baseline())):
        lengths = [weighted_length(post) for post in posts]
        print(f"{'':<28} {name}: {len(posts)} posts, {min(lengths)} to {max(lengths)} long")


def bench_digest_render(folder: Path) -> None:
    """Rendering a 10-story digest for X (numbering, the ledger's record of posted text read,
    every post checked for repeats, the cost) vs. the render before this composer: each
    story's post fitted, then chained. With generated stories the digest has one post more,
    the disclosure, which the old render did not make."""
    end = PUBLISHED + timedelta(hours=1)
    for generated in (False, True):
        stories = [
            make_story(
                id=f"story-{n}",
                headline=f"Story {n}: the harbour board decides on ferry number {n}",
                dek="The boats run every twenty minutes and charge at the pier. " * 4,
                published=end - timedelta(hours=n + 1),
                generated=generated and n % 2 == 0,
                source_count=12,
            )
            for n in range(10)
        ]
        edition = digest(stories, end, timedelta(days=7))
        assert edition is not None and len(edition.stories) == 10
        state = folder / ("generated" if generated else "plain")
        destination = make_destination(XChannel, {"channel": "x", "thread": "summary"}, state)
        Ledger(destination.state.engine)  # a state database with a ledger, as in production
        post = post_template(destination.templates, "x/post.txt")

        def ours(edition: Edition = edition, destination: Destination = destination) -> object:
            return XChannel().render(edition, destination)

        def baseline(edition: Edition = edition, post: Callable = post) -> object:
            def story_post(story: Story, **more: str) -> str:
                fields = {"headline": story.headline, "dek": story.dek, "url": story.url, **more}
                cuttable = ["dek", "headline", *more]
                return fit(post, fields, 280, weighted_length, cuttable=cuttable).text

            lead, *others = edition.stories
            title = digest_title("{site}: the week to {date:%d %B %Y}", "Test News", end)
            posts = [story_post(lead, title=title), *(story_post(story) for story in others)]
            return chain(posts, 280, weighted_length)

        name = "10-story digest, disclosed" if generated else "10-story digest for X"
        report(name, best(ours, 30), best(baseline, 30), "digest", 1)


# Per-recipient ledger: a row per recipient, settled by the send's writer in batches -------------


def bench_recipient_ledger(folder: Path) -> None:
    """Marking and settling recipients: a row each, committed a writer's batch at a time
    (16 outcomes, what gathers in a few milliseconds at about 2,000 copies a second) vs. a
    commit for each recipient, as every worker did before the writer."""
    count = 500
    state = State(f"sqlite:///{folder / 'state.db'}", plugin_histories(load_plugins()))
    subscribers = Subscribers(state.engine, "bench")
    for n in range(count):
        subscribers.add(f"reader{n}@example.org", "")
    rounds = iter(range(100))

    def ours() -> None:
        recipients = Recipients(state.engine, f"ours-{next(rounds)}", "bench")
        for page in recipients.pending():
            claimed = recipients.claim(page)
            for start in range(0, len(claimed), 16):
                recipients.settle_many([(a, "sent", None) for a in claimed[start : start + 16]])

    def baseline() -> None:
        recipients = Recipients(state.engine, f"base-{next(rounds)}", "bench")
        for page in recipients.pending():
            for address in recipients.claim(page):
                recipients.settle_many([(address, "sent", None)])

    report("recipient ledger", best(ours, 3), best(baseline, 3), "recipient", count)
    with state.engine.begin() as db:
        rows = db.scalar(select(func.count()).where(table.c.status == "sent"))
    assert rows == 6 * count, rows  # every recipient of every round has its own row


BENCHMARKS = {
    "email_copies": bench_email_copies,
    "thread_split": bench_thread_split,
    "thread_balance": bench_thread_balance,
    "digest_render": bench_digest_render,
    "recipient_ledger": bench_recipient_ledger,
}


def main(selected: list[str]) -> None:
    print(f"Python {sys.version.split()[0]}; best of {REPEATS} runs unless noted\n")
    for name, bench in BENCHMARKS.items():
        if selected and not any(word in name for word in selected):
            continue
        with tempfile.TemporaryDirectory() as folder:
            bench(Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
