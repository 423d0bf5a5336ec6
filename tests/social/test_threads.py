"""Threads an editor would post: balanced, numbered thread-wide, in each story's language,
disclosed when generated, the editor's own posts when written, and X's cost shown."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.channel import Channel, Part
from publisher.edition import Edition, digest, single
from publisher.story import Story
from publisher.testing import make_destination, make_story
from publisher_mastodon.channel import MastodonChannel
from publisher_x.channel import XChannel
from social.conftest import Social

MASTODON = {"channel": "mastodon", "instance": "https://m.example", "access_token": "t0ken"}
NUMBER = re.compile(r" (\d+)/(\d+)$")
BOUNDARY = ".?!;:,—"
END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SAMPLE_HEADLINE = "The Open Source Compact Is Breaking From Both Directions"


def rendered(
    channel: type[Channel], edition: Edition, tmp_path: Path, **settings: Any
) -> tuple[Part, ...]:
    base = MASTODON if channel is MastodonChannel else {"channel": "x"}
    destination = make_destination(channel, {**base, **settings}, tmp_path)
    return channel().render(edition, destination).parts


def body(text: str) -> str:
    return NUMBER.sub("", text)


def folded(text: str) -> str:
    return " ".join(text.split())


def siblings(posts: list[str], text: str, start: int) -> list[str]:
    """The posts from `start` on that, joined, spell `text`: the parts of one split."""
    found: list[str] = []
    for post in posts[start:]:
        found.append(post)
        joined = folded(" ".join(found))
        if joined == folded(text):
            return found
        assert folded(text).startswith(joined), f"{post!r} is not the next piece of {text[:40]!r}"
    raise AssertionError(f"no run of posts spells {text[:40]!r}")


def sample_story(social: Social, sample: Path) -> dict[str, Any]:
    result = social.project.run("story", str(sample), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.mark.parametrize("destination", ["fediverse", "x"])
def test_the_sample_threads_are_balanced_cut_at_boundaries_numbered_and_disclosed(
    social: Social, sample: Path, destination: str
) -> None:
    parts = social.parts(sample, destination)
    story = sample_story(social, sample)
    texts = [part["text"] for part in parts]
    # Numbered thread-wide, the root included.
    assert [NUMBER.search(text).groups() for text in texts] == [
        (str(n), str(len(texts))) for n in range(1, len(texts) + 1)
    ]
    assert all(part["length"] <= part["limit"] for part in parts)
    # The summary (X: in replies; Mastodon: whole in the root), then each FAQ entry.
    posts = [body(text) for text in texts]
    splits = [f"{entry['q']}\n{entry['a']}" for entry in story["faq"]]
    at = 1
    if destination == "x":
        splits.insert(0, story["summary"])
    else:
        assert story["summary"] in posts[0]
    for text in splits:
        group = siblings(posts, text, at)
        lengths = [parts[at + n]["length"] for n in range(len(group))]
        assert 2 * min(lengths) >= max(lengths), f"an orphan among {lengths}"
        for piece in group[:-1]:
            assert piece[-1] in BOUNDARY, f"cut inside a sentence: {piece[-50:]!r}"
        at += len(group)
    # The last post says that a model wrote the story, and names it.
    assert at == len(posts) - 1
    assert posts[-1].startswith(f"“{SAMPLE_HEADLINE}” was written by an AI model")
    assert "no person reviewed it" in posts[-1]
    assert not any(re.search(r"^(Q|A): ", post, re.MULTILINE) for post in posts)


def test_the_dry_run_prints_the_cost_of_each_x_destination(social: Social, sample: Path) -> None:
    result = social.project.run("publish", "--story", str(sample), "--dry-run")
    assert result.code == 0, result.err
    cost = [line for line in result.out.splitlines() if ": cost $" in line]
    x_parts = social.parts(sample, "x")
    plain = len(x_parts) - 1  # the root alone has the story's link
    total = 0.200 + plain * 0.015
    assert cost == [
        f"x: cost ${total:.3f} (1 post with a link at $0.200, {plain} without at $0.015; "
        "looking for a part after a failure reads up to 100 posts, $0.500 more each time)"
    ]
    printed = social.project.run("publish", "--story", str(sample), "--dry-run", "--json")
    shown = json.loads(printed.out)["destinations"]
    assert shown["x"]["cost"]["total"] == pytest.approx(total)
    assert shown["x"]["cost"]["currency"] == "USD"
    assert "cost" not in shown["fediverse"]
    out = social.project.root / "preview"
    assert social.project.run("preview", "--story", str(sample), "--out", str(out)).code == 0
    index = html.unescape((out / "index.html").read_text())
    assert f"cost: ${total:.3f} (1 post with a link at $0.200" in index


def test_the_story_link_appears_once_per_x_thread(social: Social, sample: Path) -> None:
    parts = social.parts(sample, "x")
    url = parts[0]["text"].split()[-2]
    assert url.startswith("https://")
    assert [part["text"].count("https://") for part in parts] == [1] + [0] * (len(parts) - 1)


def test_a_price_table_in_the_settings_changes_the_cost(social: Social) -> None:
    social.configure(x="prices = { post = 0.01, post_with_url = 0.1, read = 0.001 }")
    result = social.project.run("publish", "--story", "night-market", "--dry-run", "--json")
    cost = json.loads(result.out)["destinations"]["x"]["cost"]
    assert cost["total"] == pytest.approx(0.1 + 0.01 + 0.01)  # root with link, summary, FAQ
    assert "up to 100 posts, $0.100 more" in cost["detail"]


def test_a_thread_over_max_cost_is_refused_before_anything_is_sent(social: Social) -> None:
    social.configure(x="max_cost = 0.2")
    dry = social.project.run("publish", "--story", "night-market", "--dry-run")
    assert dry.code == 0
    assert "more than its max_cost of $0.200" in dry.err
    result = social.project.run("publish", "--story", "night-market")
    assert result.code == 2
    assert "x: the thread would cost $0.230" in result.err
    assert "nothing was sent" in result.err
    assert social.x.tweets == [] and social.mastodon.statuses == []
    assert social.project.posts() == []  # no destination got anything
    social.configure(x="max_cost = 0.25")
    assert social.project.run("publish", "--story", "night-market").code == 0
    assert len(social.x.tweets) == 3


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_a_japanese_story_has_japanese_parts_and_no_english_labels(
    tmp_path: Path, channel: type[Channel]
) -> None:
    story = make_story(
        headline="東京の図書館が深夜開館を試行",
        summary="区立図書館が深夜開館を試行している。" * 4,
        faq=[{"q": "誰でも使えますか？", "a": "登録すれば誰でも使えます。" * 14}],
        language="ja",
        generated=True,
    )
    parts = rendered(channel, single(story), tmp_path, thread="faq")
    assert len(parts) >= 3  # the root, the FAQ entry, the disclosure
    assert {part.extra["language"] for part in parts} == {"ja"}
    faq = next(part.text for part in parts if part.text.startswith("誰でも使えますか？"))
    assert faq.startswith("誰でも使えますか？\n登録すれば")
    assert not any(re.search(r"(^|\n)(Q|A):", part.text) for part in parts)
    assert "AIモデルが作成し" in parts[-1].text  # the disclosure, in Japanese


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_each_post_of_a_digest_carries_its_own_story_language(
    tmp_path: Path, channel: type[Channel]
) -> None:
    stories = [
        make_story(id="ferry", published=END - timedelta(days=1)),
        make_story(id="library", headline="東京の図書館", dek="深夜開館。", language="ja"),
        make_story(id="fado", headline="Fado à noite", dek="Casas cheias.", language="pt-BR"),
    ]
    edition = digest(stories, END, timedelta(days=7))
    parts = rendered(channel, edition, tmp_path)
    by_headline = {story.headline: story.language for story in stories}
    assert len(parts) == 3
    for part in parts:
        headline = next(h for h in by_headline if h in part.text)
        assert part.extra["language"] == by_headline[headline], part.text


def generated_story(**fields: Any) -> Story:
    return make_story(generated=True, source_count=20, **fields)


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
@pytest.mark.parametrize(
    ("mode", "thread", "where"),
    [
        ("auto", "faq", "last"),
        ("auto", "none", "root"),
        ("last", "none", "last"),
        ("root", "faq", "root"),
        ("none", "faq", None),
    ],
)
def test_the_disclosure_goes_where_the_destination_says(
    tmp_path: Path, channel: type[Channel], mode: str, thread: str, where: str | None
) -> None:
    story = generated_story()
    parts = rendered(channel, single(story), tmp_path, disclosure=mode, thread=thread)
    said = [n for n, part in enumerate(parts) if "written by an ai model" in part.text.lower()]
    expected = {"root": [0], "last": [len(parts) - 1], None: []}[where]
    assert said == expected
    if where == "root":
        assert "Written by an AI model from 20 source records" in parts[0].text
        assert parts[0].text.index("Written by") < parts[0].text.index(story.url)
    if where == "last":
        assert len(parts) >= 2 and parts[-1].reply_to == len(parts) - 2
        assert story.headline in parts[-1].text
    assert all(part.length <= part.limit for part in parts)


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_a_story_a_person_is_responsible_for_has_no_disclosure(
    tmp_path: Path, channel: type[Channel]
) -> None:
    parts = rendered(channel, single(make_story()), tmp_path, thread="faq")
    assert not any("AI model" in part.text for part in parts)


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_a_digest_with_generated_stories_ends_with_one_disclosure(
    tmp_path: Path, channel: type[Channel]
) -> None:
    stories = [
        generated_story(id="ferry", headline="Ferry Fares Fall", published=END - timedelta(days=1)),
        make_story(id="market"),
        generated_story(id="bridge", headline="Bridge Reopens", published=END - timedelta(days=2)),
    ]
    parts = rendered(channel, digest(stories, END, timedelta(days=7)), tmp_path)
    assert len(parts) == 4
    assert body(parts[-1].text) == (
        "Test News: the week to 23 November 2026. 2 of these 3 stories (“Ferry Fares Fall”, "
        "“Bridge Reopens”) were written by an AI model; no person reviewed them before "
        "publication."
    )


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_numbering_can_be_left_out(tmp_path: Path, channel: type[Channel]) -> None:
    parts = rendered(channel, single(make_story()), tmp_path, thread="faq", numbering="none")
    assert len(parts) >= 2
    assert not any(NUMBER.search(part.text) for part in parts)


HAND_WRITTEN = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
posts:
  x:
    - "Forty stalls, twelve families, one quay: the harbour's night market opened on Friday."
    - |
      Open Fridays from six.
      Until two in the morning.
  mastodon:
    - "@POST@"
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.
"""


def test_hand_written_posts_replace_the_thread_and_go_out_as_written(social: Social) -> None:
    story = HAND_WRITTEN.replace("@POST@", "The night market is open.")
    social.project.add_story("hand.md", story)
    x = [part["text"] for part in social.parts("hand", "x")]
    assert x == [
        "Forty stalls, twelve families, one quay: the harbour's night market opened on Friday.",
        "Open Fridays from six.\nUntil two in the morning.",
    ]
    assert [part["text"] for part in social.parts("hand", "fediverse")] == [
        "The night market is open."
    ]
    result = social.project.run("publish", "--story", "hand", "--to", "x,fediverse")
    assert result.code == 0, result.out + result.err
    assert [tweet["sent"] for tweet in social.x.tweets] == x
    assert social.x.is_thread()
    shown = social.project.run("story", str(social.project.root / "stories" / "hand.md"))
    table = " ".join(shown.out.replace("│", " ").split())
    assert "posts x: 2 posts: Forty stalls," in table
    assert "mastodon: 1 post: The night market is open." in table


@pytest.mark.parametrize(("channel", "length"), [("x", 281), ("mastodon", 501)])
def test_a_hand_written_post_that_does_not_fit_is_refused_naming_it(
    social: Social, channel: str, length: int
) -> None:
    too_long = "a" * (length - 1) + "."
    story = HAND_WRITTEN.replace("@POST@", too_long if channel == "mastodon" else "Open.")
    if channel == "x":
        story = story.replace("Open Fridays from six.", too_long).replace(
            "Until two in the morning.", ""
        )
    social.project.add_story("hand.md", story)
    result = social.project.run("publish", "--story", "hand")
    assert result.code == 2, result.out + result.err
    post = 2 if channel == "x" else 1
    destination = "x" if channel == "x" else "fediverse"
    assert (
        f"error: story 'hand': posts.{channel}, post {post} is {length} characters long as "
        f"{channel} counts, more than the {length - 1} a post to {destination} may have: 'aaaa"
    ) in result.err
    assert "Traceback" not in result.err
    assert social.x.tweets == [] and social.mastodon.statuses == [] and not social.project.posts()


def test_a_hand_written_post_that_repeats_an_earlier_one_is_warned_about(social: Social) -> None:
    social.project.add_story("hand.md", HAND_WRITTEN.replace("@POST@", "Open tonight."))
    assert social.project.run("publish", "--story", "hand", "--to", "x").code == 0
    again = social.project.run("publish", "--story", "hand", "--to", "x", "--dry-run", "--force")
    assert "x: post 1 repeats a post x already made" in again.err


def test_templates_can_bring_back_labels_and_word_the_disclosure(social: Social) -> None:
    templates = social.project.root / "templates"
    (templates / "social").mkdir(parents=True)
    (templates / "social" / "faq.txt").write_text("Q: {{ question }}\nA: {{ answer }}\n")
    (templates / "x").mkdir()
    (templates / "x" / "disclosure.txt").write_text("AI-written: {{ headline }}")
    social.project.add_story("market.md", STORY_GENERATED)
    x = [body(part["text"]) for part in social.parts("market", "x")]
    mastodon = [body(part["text"]) for part in social.parts("market", "fediverse")]
    assert "Q: When does it open?\nA: Fridays from six in the evening." in x
    assert "Q: When does it open?\nA: Fridays from six in the evening." in mastodon
    assert x[-1] == "AI-written: Harbour Opens a Night Market"
    assert mastodon[-1].startswith("“Harbour Opens a Night Market” was written by an AI model")


STORY_GENERATED = """\
---
headline: Harbour Opens a Night Market
dek: Stalls stay open until two on Fridays.
published: 2026-11-20T18:00:00+01:00
generated: true
faq:
  - q: When does it open?
    a: Fridays from six in the evening.
---

## Lanterns on the Quay

Forty stalls opened on the first Friday.
"""


def test_a_summary_too_long_for_the_root_goes_on_in_even_replies(tmp_path: Path) -> None:
    sentences = [f"The ferry adds crossing number {n} after midnight." for n in range(1, 16)]
    story = make_story(summary=" ".join(sentences), faq=[])
    parts = rendered(MastodonChannel, single(story), tmp_path, max_characters=300)
    root, *replies = [body(part.text) for part in parts]
    kept = root.split("\n\n")[1]
    assert kept.endswith(". …"), "the root ends its part of the summary at a sentence, marked"
    assert len(replies) >= 2
    told = kept.removesuffix(" …") + " " + " ".join(replies)
    assert told == story.summary
    lengths = [parts[n].length for n in range(1, len(parts))]
    assert 2 * min(lengths) >= max(lengths), lengths
    assert all(reply.endswith(".") for reply in replies)
