"""What readers see: posts shaped for each audience, within each network's count."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from publisher.channel import Channel, Part
from publisher.edition import single
from publisher.story import Story
from publisher.testing import make_destination, make_story
from publisher_mastodon.channel import MastodonChannel
from publisher_mastodon.limits import mastodon_counter
from publisher_x.channel import XChannel
from publisher_x.render import weighted_length

MASTODON = {"channel": "mastodon", "instance": "https://m.example", "access_token": "t0ken"}
NUMBERING = re.compile(r" (\d+)/(\d+)$")
LONG_ANSWER = " ".join(
    f"Step {n} of the plan moves one more bus line onto the new schedule." for n in range(1, 13)
)


def render(
    channel: type[Channel], story: Story, tmp_path: Path, **settings: Any
) -> tuple[Part, ...]:
    base = MASTODON if channel is MastodonChannel else {"channel": "x"}
    destination = make_destination(channel, {**base, **settings}, tmp_path)
    return channel().render(single(story), destination).parts


def texts(parts: tuple[Part, ...]) -> list[str]:
    return [part.text for part in parts]


# Mastodon ---------------------------------------------------------------------------------


def test_hashtags_are_camel_case_without_spaces(tmp_path: Path) -> None:
    story = make_story(tags=["open source", "GPT-4o", "solar power"])
    root = render(MastodonChannel, story, tmp_path)[0].text
    assert root.endswith("#OpenSource #GPT4o #SolarPower 1/2")  # the thread's number last


def test_hashtags_go_first_when_space_runs_short(tmp_path: Path) -> None:
    story = make_story(tags=["transport", "solar power"])
    bare = render(MastodonChannel, make_story(tags=[]), tmp_path / "bare", thread="none")[0]
    limit = bare.length + len("\n\n#Transport")
    root = render(MastodonChannel, story, tmp_path, max_characters=limit, thread="none")[0]
    assert root.text == f"{bare.text}\n\n#Transport"
    assert story.summary in root.text


def test_headline_is_never_cut_while_summary_can_be(tmp_path: Path) -> None:
    story = make_story(summary=" ".join(["The ferry runs all night on weekends."] * 12))
    parts = render(MastodonChannel, story, tmp_path, max_characters=200, thread="summary")
    root = parts[0].text
    assert root.startswith(f"{story.headline}\n\n")
    assert "…" in root and story.url in root
    assert parts[0].length <= 200
    assert len(parts) > 1  # the summary carries on in replies


def test_the_link_is_kept_whatever_else_must_go(tmp_path: Path) -> None:
    story = make_story(headline="Ferry " * 40, summary="Long. " * 100, tags=["a", "b"])
    root = render(MastodonChannel, story, tmp_path, max_characters=100, thread="none")[0]
    assert root.text.endswith(story.url)
    assert root.length <= 100


def test_faq_replies_one_entry_each_question_above_its_answer_numbered_thread_wide(
    tmp_path: Path,
) -> None:
    story = make_story(
        faq=[
            {"q": "When does it start?", "a": "In March."},
            {"q": "What does the plan do?", "a": LONG_ANSWER},
        ]
    )
    parts = render(MastodonChannel, story, tmp_path, max_characters=300, thread="faq")
    total = len(parts)
    assert [NUMBERING.search(part.text).groups() for part in parts] == [
        (str(n), str(total)) for n in range(1, total + 1)
    ]
    replies = [NUMBERING.sub("", text) for text in texts(parts[1:])]
    assert replies[0] == "When does it start?\nIn March."
    long = replies[1:]
    assert len(long) > 1 and long[0].startswith("What does the plan do?\nStep 1 ")
    for text in long:
        assert text.endswith("schedule."), "cut inside a sentence"
    assert " ".join(long).removeprefix("What does the plan do?\n") == LONG_ANSWER
    assert all(part.length <= 300 for part in parts)
    lengths = [len(text) for text in long]
    assert 2 * min(lengths) >= max(lengths), lengths


@pytest.mark.parametrize(("mode", "replies"), [("none", 0), ("summary", 1), ("faq", 2)])
def test_thread_setting_decides_the_replies(tmp_path: Path, mode: str, replies: int) -> None:
    story = make_story(summary="The ferry runs all night on weekends. " * 10)
    parts = render(MastodonChannel, story, tmp_path, max_characters=300, thread=mode)
    assert len(parts) == 1 + replies
    assert [part.reply_to for part in parts] == [None, *range(replies)]
    if mode == "faq":
        assert parts[-1].text == f"How long is the crossing?\nTwelve minutes. 3/{len(parts)}"


def test_mastodon_counts_urls_at_the_reserved_width_and_mentions_without_domain() -> None:
    count = mastodon_counter(23)
    assert count("read https://example.org/" + "x" * 200) == len("read ") + 23
    assert count("hi @brief@mastodon.example") == len("hi @brief")
    assert count("🇩🇪👨‍👩‍👧‍👦") == 2


def test_render_uses_the_instance_limit_remembered_in_the_state(
    tmp_path: Path, no_network: None
) -> None:
    destination = make_destination(MastodonChannel, MASTODON, tmp_path)
    key = "mastodon:limits:https://m.example"
    destination.state.put(key, {"max_characters": 150, "characters_reserved_per_url": 30})
    parts = MastodonChannel().render(single(make_story()), destination).parts
    assert {part.limit for part in parts} == {150}
    root = parts[0]
    assert root.length == mastodon_counter(30)(root.text) <= 150


def test_visibility_language_and_warning_travel_with_each_part(tmp_path: Path) -> None:
    story = make_story(language="pt-BR")
    settings = {"spoiler_text": "Transport", "thread": "faq"}
    root, reply = render(MastodonChannel, story, tmp_path, **settings)
    assert root.extra == {"visibility": "public", "language": "pt-BR", "spoiler_text": "Transport"}
    assert reply.extra == {**root.extra, "visibility": "unlisted"}


# X ----------------------------------------------------------------------------------------


def test_x_root_has_headline_dek_and_link(tmp_path: Path) -> None:
    story = make_story()
    root = render(XChannel, story, tmp_path)[0].text
    assert root == f"{story.headline}\n\n{story.dek}\n\n{story.url} 1/2"


def test_x_cuts_the_dek_before_the_headline_and_keeps_the_link(tmp_path: Path) -> None:
    story = make_story(dek="The boats run every twenty minutes and charge at the pier. " * 8)
    root = render(XChannel, story, tmp_path)[0]
    assert root.text.startswith(f"{story.headline}\n\nThe boats run")
    assert "…" in root.text and root.text.endswith(f"{story.url} 1/2")
    assert root.length <= 280


def test_x_counts_with_twitter_text_weights(tmp_path: Path) -> None:
    story = make_story(
        headline="東京の図書館が深夜開館を試行",
        dek="三か月の試験期間に、学生と夜勤明けの利用者が集まった。" * 6,
        summary="区立図書館が深夜開館を試行している。" * 12,
        language="ja",
    )
    parts = render(XChannel, story, tmp_path, thread="summary")
    for part in parts:
        assert part.length == parse_tweet(part.text).weightedLength <= 280
        assert parse_tweet(part.text).valid
    assert len(parts[1].text) < 150  # CJK weighs two: about 140 characters fill a post


PLAIN = "abcXYZ019 .,;:!?/-_#@()'\"\n\u00e9\u00fc\u00df\u00a0\u2014\u2013\u2019\u201c\u201d\u2032…"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(PLAIN, max_size=30),
            st.sampled_from(["https://example.org/a?b=c", "x.com", "Z.ai", "www.example.net/"]),
            st.text(min_size=1, max_size=5),  # anything: CJK, emoji, combining marks...
        ),
        max_size=12,
    ).map(" ".join)
)
def test_x_counts_exactly_as_twitter_text_does(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


@pytest.mark.parametrize("channel", [MastodonChannel, XChannel])
def test_faq_posts_break_at_a_clause_rather_than_between_words(
    tmp_path: Path, channel: type[Channel]
) -> None:
    # The question and the first sentence of the answer do not fit one post together, and
    # three posts of whole sentences would leave the question alone: the entry is cut once,
    # at the comma, into two posts of similar length.
    question = "What should I do as a maintainer when AI agents send me pull requests?"
    answer = (
        "Publish a policy on AI-generated contributions before the volume becomes "
        "unmanageable, because a stated policy gives you clear grounds to close a pull "
        "request and leaves a record when automated systems push back against you. "
        "Then apply it the same way to every contributor, human or not, and say so in your "
        "contributing guide."
    )
    story = make_story(faq=[{"q": question, "a": answer}], summary="")
    limit = {"max_characters": 280} if channel is MastodonChannel else {}  # X: always 280
    parts = render(channel, story, tmp_path, thread="faq", **limit)[1:]
    posts = [NUMBERING.sub("", text) for text in texts(parts)]
    comma = answer.index("unmanageable,") + len("unmanageable,")
    assert posts == [f"{question}\n{answer[:comma]}", answer[comma + 1 :]]
    assert all(part.length <= 280 for part in parts)
