"""What a Bluesky destination would post: facets, shortened links, cards, languages. No network."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.edition import digest, single
from publisher.testing import LONG_URL, PUBLISHED, hard_editions, make_destination, make_story
from publisher.text import graphemes
from publisher_bluesky.channel import BlueskyChannel

SETTINGS = {"channel": "bluesky", "handle": "brief.test", "thread": "faq"}
FAMILY = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes in UTF-8


def facet_texts(part: dict) -> list[tuple[str, str]]:
    """Each facet as (the text its byte range covers, the URL or #tag it stands for)."""
    data = part["text"].encode("utf-8")
    found = []
    for facet in part["facets"]:
        index = facet["index"]
        [feature] = facet["features"]
        meaning = feature.get("uri") or "#" + feature["tag"]
        found.append((data[index["byteStart"] : index["byteEnd"]].decode("utf-8"), meaning))
    return found


def render(tmp_path: Path, edition, **settings) -> list[dict]:
    destination = make_destination(BlueskyChannel, {**SETTINGS, **settings}, tmp_path)
    rendition = BlueskyChannel().render(edition, destination)
    return [part.as_json() for part in rendition.parts]


def test_links_and_hashtags_are_facets_over_the_utf8_bytes_of_cjk_and_emoji_text(
    tmp_path: Path, no_network: None
) -> None:
    story = make_story(
        headline="東京の図書館 🎉 が深夜開館 👨‍👩‍👧‍👦",
        summary="深夜開館を試行している。詳しくは https://news.example.org/faq を参照。",
        tags=["図書館", "night life"],
        language="ja",
    )
    [root, *_] = render(tmp_path, single(story))
    assert facet_texts(root) == [
        ("news.example.org/faq", "https://news.example.org/faq"),
        ("news.example.org/stories/samp…", story.url),
        ("#図書館", "#図書館"),
        ("#NightLife", "#NightLife"),
    ]
    # Byte offsets, not character offsets: the first facet starts far later in bytes.
    first = root["facets"][0]["index"]["byteStart"]
    assert first > root["text"].index("news.example.org/faq")
    assert root["langs"] == ["ja"]


def test_a_long_url_is_shown_short_its_facet_keeps_it_whole_and_it_counts_as_shown(
    tmp_path: Path,
) -> None:
    parts = render(tmp_path, hard_editions()["long-url"])
    root = parts[0]
    assert LONG_URL not in root["text"]
    assert "news.example.org/stories/a-ve…" in root["text"]
    assert ("news.example.org/stories/a-ve…", LONG_URL) in facet_texts(root)
    for part in parts:
        assert part["length"] == graphemes(part["text"]) <= 300
    # The summary carries the same long link; shown short wherever it appears.
    assert all(LONG_URL not in part["text"] for part in parts)


def test_the_root_carries_the_story_card_and_replies_do_not(
    tmp_path: Path, no_network: None
) -> None:
    story = make_story(image={"url": "https://news.example.org/ferry.jpg", "alt": "A ferry"})
    root, *replies = render(tmp_path, single(story))
    assert root["card"] == {
        "uri": story.url,
        "title": story.headline,
        "description": story.dek,
        "image": "https://news.example.org/ferry.jpg",
    }
    assert replies and all("card" not in reply for reply in replies)
    assert [part["reply_to"] for part in replies] == list(range(len(replies)))


def test_a_digest_gives_each_story_its_card_and_language(tmp_path: Path) -> None:
    stories = [
        make_story(id="ferry", priority=1),
        make_story(id="library", headline="図書館が深夜開館", language="ja", tags=["図書館"]),
    ]
    edition = digest(stories, PUBLISHED + timedelta(hours=1), timedelta(days=7))
    root, reply = render(tmp_path, edition)
    assert root["text"].startswith("Test News: the week to")
    assert (root["card"]["uri"], root["langs"]) == (stories[0].url, ["en"])
    assert (reply["card"]["uri"], reply["langs"]) == (stories[1].url, ["ja"])
    assert "image" not in root["card"]


def test_a_post_of_composed_emoji_stays_within_3000_bytes(tmp_path: Path) -> None:
    story = make_story(summary=" ".join([FAMILY] * 400), faq=[])
    parts = render(tmp_path, single(story), thread="summary")
    assert len(parts) > 1
    for part in parts:
        assert len(part["text"].encode("utf-8")) <= 3000
        assert graphemes(part["text"]) <= 300 and part["length"] <= 300


@pytest.mark.parametrize("thread", ["none", "summary", "faq"])
def test_thread_setting_chooses_the_replies(tmp_path: Path, thread: str) -> None:
    story = make_story(summary="One sentence. " * 40)
    parts = render(tmp_path, single(story), thread=thread)
    faq = [part for part in parts if part["text"].startswith("How long is the crossing?\n")]
    assert (len(parts) == 1) == (thread == "none")
    assert len(faq) == (thread == "faq")


# Hashtags are found as the atproto SDK finds them, without loading it ------------------------


def _sdk_rich_text(text: str) -> tuple[str, list[dict]]:
    """The rich text as render made it with the SDK's TextBuilder and detect_facets."""
    from atproto import client_utils, models

    from publisher.text import URL_PATTERN
    from publisher_bluesky.richtext import shown

    builder = client_utils.TextBuilder()

    def plain(piece: str) -> None:
        data, written = piece.encode("utf-8"), 0
        for facet in client_utils.detect_facets(piece):
            tags = [f for f in facet.features if isinstance(f, models.AppBskyRichtextFacet.Tag)]
            if not tags:
                continue
            start, end = facet.index.byte_start, facet.index.byte_end
            builder.text(data[written:start].decode("utf-8"))
            builder.tag(data[start:end].decode("utf-8"), tags[0].tag)
            written = end
        builder.text(data[written:].decode("utf-8"))

    end = 0
    for match in URL_PATTERN.finditer(text):
        plain(text[end : match.start()])
        builder.link(shown(match.group()), match.group())
        end = match.end()
    plain(text[end:])
    facets = [f.model_dump(by_alias=True, exclude_none=True) for f in builder.build_facets()]
    return builder.build_text(), facets


def _unicode_versions_differ() -> set[str]:
    """Punctuation the SDK's list (its Unicode version) and `regex` (its own) disagree on."""
    import re

    import regex
    from atproto_client.utils.facet_regexes import _P

    sdk, ours = re.compile(f"[{_P}]"), regex.compile(r"\p{P}")
    return {
        chr(point)
        for point in range(0x110000)
        if bool(sdk.match(chr(point))) != bool(ours.match(chr(point)))
    }


DIFFERENT = _unicode_versions_differ()
WORDS = st.sampled_from(
    ["#", "＃", "$", "#tag", "#2026", "#ニュース", "$AAPL", "$abc1", "(", ")", ".", ",", "!", "?",
     "'", "\u2019", " ", "\n", "\u3000", "\u200b", "\ufe0f", "a", "9", "é", "👨‍👩‍👧‍👦", "🇩🇪",
     "-", "_", "#" + "x" * 70, "#" + "e\u0301" * 40, "https://brief.example.org/stories/a-long-id",
     "brief.example.org", "@someone.bsky.social"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(WORDS, st.characters(blacklist_characters=DIFFERENT, codec="utf-8")),
        max_size=30,
    ).map("".join)
)
def test_hashtags_are_found_as_the_atproto_sdk_finds_them(text: str) -> None:
    from publisher_bluesky.richtext import rich_text

    assert rich_text(text) == _sdk_rich_text(text)
