"""Counting, cutting and threading: never mid-word, never over the limit, the link kept."""

from __future__ import annotations

import pytest

from publisher.social import hashtag, hashtags
from publisher.text import ELLIPSIS, cut, fit, graphemes, sentences, split, with_urls_as

TEXT = (
    "The council met on Tuesday. It voted to halve ferry fares from January. "
    "Officials expect fuller boats to cost less per passenger, though nobody has checked."
)


def test_graphemes_count_what_a_reader_sees() -> None:
    assert graphemes("👩‍👩‍👧‍👦") == 1
    assert graphemes("🇩🇪🇫🇷") == 2
    assert graphemes("e\u0301") == 1
    assert graphemes("東京") == 2


def test_urls_count_a_fixed_width() -> None:
    count = with_urls_as(23)
    long_url = "https://example.org/" + "x" * 300
    assert count(f"Read {long_url} now") == len("Read  now") + 23
    assert count("see https://a.io, then https://b.io.") == len("see , then .") + 46


def test_cut_prefers_a_sentence_end() -> None:
    head, rest = cut(TEXT, 80, len)
    assert (
        head
        == f"The council met on Tuesday. It voted to halve ferry fares from January. {ELLIPSIS}"
    )
    assert rest.startswith("Officials expect")


def test_cut_falls_back_to_a_word_and_never_splits_one() -> None:
    head, rest = cut(TEXT, 50, len)
    assert len(head) <= 50
    assert head.endswith(ELLIPSIS)
    kept = head.removesuffix(ELLIPSIS).rstrip()
    assert TEXT.startswith(kept)
    assert TEXT[len(kept)] == " ", "cut inside a word"
    assert f"{kept} {rest}".replace("  ", " ") == TEXT


@pytest.mark.parametrize("limit", [20, 37, 60, 99, 140])
def test_cut_always_fits(limit: int) -> None:
    head, _ = cut(TEXT, limit, len)
    assert 0 < len(head) <= limit


def test_cut_gives_up_rather_than_cut_a_word_that_does_not_fit() -> None:
    assert cut("Incomprehensibilities abound.", 10, len) == ("", "Incomprehensibilities abound.")


def test_cut_splits_scripts_without_spaces_between_characters() -> None:
    text = "区立図書館が深夜開館を試行している" * 3
    head, rest = cut(text, 10, len)
    assert len(head) <= 10 and head.endswith(ELLIPSIS)
    assert head.removesuffix(ELLIPSIS) + rest == text


def test_cut_at_cjk_sentence_end() -> None:
    head, rest = cut("最初の文です。二番目の文はもっと長いです。", 12, len)
    assert head == f"最初の文です。 {ELLIPSIS}"
    assert rest == "二番目の文はもっと長いです。"


def test_sentences() -> None:
    assert sentences('He said "stop." Then left! Why? 終わり。次') == [
        'He said "stop."',
        "Then left!",
        "Why?",
        "終わり。",
        "次",
    ]


def test_split_numbers_a_thread_and_loses_nothing() -> None:
    text = " ".join([TEXT] * 5)
    posts = split(text, 100, len)
    assert len(posts) > 1
    assert all(len(post) <= 100 for post in posts)
    assert [post.rsplit(" ", 1)[1] for post in posts] == [
        f"{n}/{len(posts)}" for n in range(1, len(posts) + 1)
    ]
    joined = " ".join(post.rsplit(" ", 1)[0] for post in posts)
    assert joined.split() == text.split()


def test_split_short_text_is_one_unnumbered_post() -> None:
    assert split("Short.", 100, len) == ["Short."]
    assert split("   ", 100, len) == []


def test_split_with_more_than_nine_posts_keeps_within_the_limit() -> None:
    text = " ".join(f"word{n}" for n in range(400))
    posts = split(text, 40, len)
    assert len(posts) > 9
    assert all(len(post) <= 40 for post in posts)
    assert posts[-1].endswith(f" {len(posts)}/{len(posts)}")


def render(fields) -> str:
    return "\n\n".join(value for value in fields.values() if value)


def test_fit_drops_hashtags_first_then_cuts_the_summary_never_the_link() -> None:
    fields = {
        "headline": "Ferries Cut Fares",
        "summary": TEXT,
        "url": "https://news.example.org/stories/ferry-fares",
        "hashtags": "#Transport #Harbour #Fares",
    }
    whole = len(render(fields))
    roomy = fit(render, fields, whole - 7, len, droppable=["hashtags"], cuttable=["summary"])
    assert roomy.text.endswith("#Transport #Harbour") and roomy.rest == {}

    tight = fit(render, fields, 150, len, droppable=["hashtags"], cuttable=["summary", "headline"])
    assert len(tight.text) <= 150
    assert "#" not in tight.text
    assert tight.text.startswith("Ferries Cut Fares\n\n")
    assert tight.text.endswith("https://news.example.org/stories/ferry-fares")
    assert tight.rest["summary"].startswith("Officials") or tight.rest["summary"].startswith("It")


def test_fit_cuts_the_headline_only_when_the_summary_is_gone() -> None:
    fields = {"headline": "A " * 40 + "headline", "summary": TEXT, "url": "https://x.org/a"}
    fitted = fit(render, fields, 60, len, cuttable=["summary", "headline"])
    assert len(fitted.text) <= 60
    assert fitted.rest["summary"] == TEXT
    assert fitted.text.endswith("https://x.org/a")


def test_hashtags_are_camel_case_without_spaces() -> None:
    assert hashtag("open source") == "#OpenSource"
    assert hashtag("GPT-4o") == "#GPT4o"
    assert hashtag("図書館") == "#図書館"
    assert hashtag("---") == ""
    assert hashtags(["open source", "Open Source", "rail"]) == "#OpenSource #Rail"


def test_a_word_longer_than_a_post_is_cut_inside_as_a_last_resort() -> None:
    token = "x" * 336
    posts = split(f"The key is {token} and nothing else.", 280, len)
    assert all(len(post) <= 280 for post in posts)
    joined = "".join(post.rsplit(" ", 1)[0] for post in posts)
    assert token in joined.replace(" ", "")
    assert posts[0] == f"The key is 1/{len(posts)}", "the cut inside a word is only a last resort"


def test_fit_never_cuts_inside_a_word() -> None:
    fields = {"headline": "Short", "summary": "Incomprehensibilities", "url": "https://x.org/a"}
    fitted = fit(render, fields, len("Short\n\nhttps://x.org/a") + 8, len, cuttable=["summary"])
    assert fitted.text == "Short\n\nhttps://x.org/a"
    assert fitted.rest == {"summary": "Incomprehensibilities"}
