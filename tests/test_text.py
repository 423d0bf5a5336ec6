"""Counting, cutting and threading: never mid-word, never over the limit, the link kept."""

from __future__ import annotations

import pytest

from publisher.social import hashtag, hashtags
from publisher.text import ELLIPSIS, cut, cut_to_fit, fit, graphemes, sentences, split, with_urls_as

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


# Balanced threads: properties over generated texts ----------------------------------------

import regex  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from twitter_text import parse_tweet  # noqa: E402

from publisher.social import Block, compose, text_block  # noqa: E402
from publisher.text import balanced  # noqa: E402

NO_SPACES = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]")
PUNCTUATION = ["", "", "", ".", ",", ";", ":", "?", "!", " —"]
EMOJI = ["🎉", "👨‍👩‍👧‍👦", "🇩🇪", "📚"]


def x_count(text: str) -> int:
    return parse_tweet(text).weightedLength


COUNTERS = {"graphemes": graphemes, "mastodon": with_urls_as(23), "x": x_count}


def latin_word(length_most: int = 12, length_least: int = 1) -> st.SearchStrategy[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
    letters = st.text(alphabet, min_size=length_least, max_size=length_most)
    return st.tuples(letters, st.sampled_from(PUNCTUATION)).map("".join)


def any_word() -> st.SearchStrategy[str]:
    return st.one_of(
        latin_word(),
        latin_word(40),
        st.text("区立図書館が深夜開館を試行しているのです東京。、", min_size=1, max_size=30),
        st.sampled_from(EMOJI),
        st.text("abcdef/-", min_size=60, max_size=200).map(lambda p: f"https://example.org/{p}"),
    )


def texts(words: st.SearchStrategy[str], most: int = 220) -> st.SearchStrategy[str]:
    separators = st.sampled_from([" ", " ", " ", " ", "\n"])
    pairs = st.lists(st.tuples(words, separators), min_size=1, max_size=most)
    return pairs.map(lambda items: "".join(word + gap for word, gap in items).strip())


def gaps_between(text: str, posts: list[str]) -> list[tuple[int, str]]:
    """Where each post after the first starts, and what lay between it and the one before;
    fails unless the posts, joined with what separated them, give back the text."""
    position, gaps = 0, []
    for number, post in enumerate(posts):
        found = text.find(post, position)
        assert found >= 0, f"post {number + 1} is not the text's next piece: {post!r}"
        between = text[position:found]
        assert not between.strip(), f"lost {between!r} before post {number + 1}"
        if number:
            gaps.append((found, between))
        position = found + len(post)
    assert not text[position:].strip(), f"lost the end of the text: {text[position:]!r}"
    return gaps


COMPOSER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMPOSER
@given(
    text=texts(any_word()),
    limit=st.integers(min_value=40, max_value=300),
    counter=st.sampled_from(sorted(COUNTERS)),
)
def test_balanced_posts_fit_give_back_the_text_and_cut_words_only_when_they_must(
    text: str, limit: int, counter: str
) -> None:
    count = COUNTERS[counter]
    posts = balanced(text, limit, count)
    assert posts and all(posts)
    for post in posts:
        assert count(post) <= limit, post
    for start, between in gaps_between(text, posts):
        if between:
            continue  # cut at white space
        # A cut inside a run of characters: only between characters of a script written
        # without spaces, or inside a word longer than a whole post.
        word_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
        word_end = min(
            i for i in (text.find(" ", start), text.find("\n", start), len(text)) if i >= 0
        )
        word = text[word_start:word_end]
        around = text[start - 1 : start + 1]
        assert NO_SPACES.search(around) or count(word) > limit, (word, start)


@COMPOSER
@given(
    text=texts(latin_word(8), most=400),
    limit=st.integers(min_value=100, max_value=500),
    counter=st.sampled_from(["graphemes", "x"]),
)
def test_balanced_posts_are_even_when_the_words_allow_it(
    text: str, limit: int, counter: str
) -> None:
    # Words of at most 9 characters, a post of at least 100: an even split always exists.
    count = COUNTERS[counter]
    posts = balanced(text, limit, count)
    lengths = [count(post) for post in posts]
    assert 2 * min(lengths) >= max(lengths), lengths


@COMPOSER
@given(
    text=texts(latin_word(8, length_least=4), most=300),
    limit=st.integers(min_value=60, max_value=300),
)
def test_balanced_posts_end_at_a_sentence_or_clause_when_the_text_has_enough(
    text: str, limit: int
) -> None:
    # Sentences (and lines) short enough for any post: no cut needs to fall between words.
    pieces = [s.strip() for s in regex.split(r"(?<=[.?!;:,—])\s|\n", text) if s.strip()]
    if max(map(len, pieces)) * 4 > limit:
        return
    posts = balanced(text, limit, len)
    for post, (_, between) in zip(posts, gaps_between(text, posts), strict=False):
        assert post[-1] in ".?!;:,—" or "\n" in between, post


@COMPOSER
@given(
    blocks=st.lists(texts(any_word(), most=60), min_size=1, max_size=12),
    limit=st.integers(min_value=60, max_value=300),
)
def test_a_thread_is_numbered_consecutively_root_included_and_every_post_fits(
    blocks: list[str], limit: int
) -> None:
    count = COUNTERS["mastodon"]
    thread = compose([text_block(text, count, "en") for text in blocks], limit, count)
    posts = [post.text for post in thread.posts]
    assert all(count(post) <= limit for post in posts)
    if len(posts) > 1:
        numbers = [regex.search(r" (\d+)/(\d+)$", post).groups() for post in posts]
        assert numbers == [(str(n), str(len(posts))) for n in range(1, len(posts) + 1)]
    assert len({" ".join(post.split()) for post in posts}) == len(posts)


def test_balanced_cuts_k_even_posts_not_full_ones_and_an_orphan() -> None:
    summary = (
        "The open source AI community's organizing claim — that openness is a virtue and "
        "closed weights are a betrayal — is being undermined by the same competitive logic it "
        "was built to critique, leaving advocates who challenged OpenAI unable to apply that "
        "standard consistently as Chinese labs reverse course."
    )
    posts = balanced(summary, 276, x_count)
    assert len(posts) == 2
    assert posts[0].endswith("critique,") or posts[0].endswith("betrayal —")
    lengths = [x_count(post) for post in posts]
    assert 2 * min(lengths) >= max(lengths)


def test_balanced_prefers_a_post_more_to_a_sentence_cut_in_the_middle_or_an_orphan() -> None:
    sentence = "Every sentence of this text says one more thing about the plan in full."
    text = " ".join([sentence] * 3)  # 3 x 71 characters: two posts only if one is cut
    assert balanced(text, 150, len) == [sentence] * 3
    assert balanced(text, 145, len) == [sentence] * 3  # not 145 + an orphan of 72


def test_balanced_gives_the_first_post_only_its_own_room() -> None:
    text = "One short sentence. " * 12
    first, *rest = balanced(text, 100, len, first=45)
    assert 0 < len(first) <= 45 and first.endswith(".")
    assert all(len(post) <= 100 for post in rest)
    assert balanced("Incomprehensibilities abound here.", 100, len, first=5)[0] == ""


def test_balanced_cuts_cjk_at_its_sentence_ends_and_never_before_closing_marks() -> None:
    text = "区立図書館が深夜開館を試行している。" * 12
    posts = balanced(text, 100, x_count)
    assert all(post.endswith("。") for post in posts)
    assert "".join(posts) == text
    quoted = "「静かな場所が夜にあるのは本当に助かる」と利用者は話した。" * 8
    for post in balanced(quoted, 40, x_count):
        assert post[0] not in "。、」" and post[-1] != "「"


def test_compose_marks_a_post_the_destination_already_made() -> None:
    from publisher.ledger import text_hash

    block = Block(lambda room: ["The same words as last week."], "en")
    again = compose([block], 100, len, "none", posted={text_hash("The same words as last week.")})
    assert [post.text for post in again.posts] == ["The same words as last week. (2)"]
    twice = compose([block, block], 100, len, "none")
    assert [post.text for post in twice.posts] == [
        "The same words as last week.",
        "The same words as last week. 2/2",  # its place in the thread tells it apart
    ]
    numbered = compose([block, block], 100, len, "thread")
    assert [post.text for post in numbered.posts] == [
        "The same words as last week. 1/2",
        "The same words as last week. 2/2",
    ]


@pytest.mark.parametrize(
    ("text", "room", "head"),
    [
        # An opening phrase is no place to stop: the word cut keeps far more.
        (
            "However, the first boat left the harbour at six in the morning and the second one",
            60,
            "However, the first boat left the harbour at six in the…",
        ),
        (
            "After forty years, trams return to the old town and its narrow streets",
            60,
            "After forty years, trams return to the old town and its…",
        ),
        # A clause of five words and more is a place to stop, however much a word cut keeps.
        (
            "The harbour board cut every fare by a third from Monday, after a summer in which "
            "the boats ran half empty on weekdays and the council asked for a plan",
            120,
            "The harbour board cut every fare by a third from Monday…",
        ),
        # Never a clause cut that leaves a bracket or a quotation open.
        (
            "A list (apples, pears, plums and other fruit) was sold at the market every week",
            40,
            "A list (apples, pears, plums and other…",
        ),
    ],
)
def test_a_cut_falls_where_a_reader_can_stop(text: str, room: int, head: str) -> None:
    assert cut_to_fit(text, lambda candidate: len(candidate) <= room)[0] == head
