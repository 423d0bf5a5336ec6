"""Sample stories and editions that break naive channels, for contract tests and your own.

All are built here from text we write, with fixed dates, so every run of a
test sees the same editions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from publisher.edition import Edition, digest, single
from publisher.story import Story

PUBLISHED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
"""When the sample stories were published (a Monday morning, UTC).

>>> make_story().published == PUBLISHED
True
"""

LONG_URL = (
    "https://news.example.org/stories/" + "a-very-long-path-segment-" * 12 + "end?ref=x&utm=y"
)
"""A story URL longer than a whole post on most networks: a channel must still fit it.

>>> len(LONG_URL) > 300
True
"""

DIGEST_SIZE = 10
"""How many stories the sample digest holds.

>>> len(make_digest_edition().stories) == DIGEST_SIZE
True
"""


def make_story(**fields: Any) -> Story:
    """A valid story with sensible defaults; pass fields to change any of them.

    >>> make_story(id="ferry", headline="Ferries Run Again").url
    'https://news.example.org/stories/ferry'
    """
    story_id = fields.pop("id", "sample-story")
    values: dict[str, Any] = {
        "id": story_id,
        "headline": "City Opens Its First Solar Ferry Line",
        "dek": "The boats run every twenty minutes and charge at the pier.",
        "sections": [
            {"heading": "A Quiet Crossing", "paragraphs": ["The first boat left at six."]}
        ],
        "summary": "The harbour's first solar ferry started service on Monday.",
        "faq": [{"q": "How long is the crossing?", "a": "Twelve minutes."}],
        "url": f"https://news.example.org/stories/{story_id}",
        "published": PUBLISHED,
        "tags": ["transport", "solar power"],
    }
    values.update(fields)
    return Story.model_validate(values)


def _long_answer(size: int = 2000) -> str:
    """Plain sentences, cut at a word to exactly `size` characters ending in a full stop."""
    text = " ".join(
        f"Sentence number {n} explains one more detail of the plan in plain words."
        for n in range(40)
    )
    return text[: size - 1].rsplit(" ", 1)[0].ljust(size - 1, "s") + "."


def hard_stories() -> dict[str, Story]:
    """Stories that break naive channels: scripts, emoji, long URLs, long answers, no FAQ.

    >>> sorted(hard_stories())
    ['cjk', 'emoji', 'long-answer', 'long-url', 'markup', 'no-faq']
    """
    return {
        "cjk": make_story(
            id="cjk",
            headline="東京の図書館が深夜開館を試行",
            dek="三か月の試験期間に、学生と夜勤明けの利用者が集まった。",
            summary="区立図書館が深夜開館を試行している。" * 12,
            faq=[{"q": "誰でも使えますか？", "a": "登録すれば誰でも使えます。" * 20}],
            language="ja",
            tags=["図書館", "東京"],
        ),
        "emoji": make_story(
            id="emoji",
            headline="Festival Weekend 🎉🎶 Brings 👨‍👩‍👧‍👦 Families Downtown 🇩🇪",
            summary="🎉 " * 200,
            tags=["festival 🎉", "city life"],
        ),
        "long-url": make_story(
            id="long-url",
            headline="A Story Whose Address Never Ends",
            url=LONG_URL,
            summary=f"Read it at {LONG_URL} today.",
        ),
        "long-answer": make_story(
            id="long-answer",
            headline="The Plan, Explained at Length",
            faq=[{"q": "What does the plan do?", "a": _long_answer()}],
        ),
        "no-faq": make_story(
            id="no-faq", headline="Council Meets, Says Little", faq=[], summary="", tags=[]
        ),
        "markup": make_story(
            id="markup",
            headline="Why x < y & </mj-text> <script>alert(1)</script> Matter",
            dek="Tags like <b>bold</b> must show as text.",
            summary="A & B < C > D \"quoted\" 'single'.",
        ),
    }


def digest_stories() -> list[Story]:
    """Ten stories for a digest: the hard ones, and four more (plain, right-to-left,
    generated, many questions), each published an hour before the next.

    >>> stories = digest_stories()
    >>> len(stories), stories[0].published - stories[1].published
    (10, datetime.timedelta(seconds=3600))
    """
    stories = [
        *hard_stories().values(),
        make_story(id="solar-ferry"),
        make_story(
            id="rtl",
            headline="مكتبة المدينة تفتح أبوابها ليلاً",
            dek="تجربة لثلاثة أشهر تجذب الطلاب وعمال الليل.",
            summary="بدأت المكتبة العامة تجربة الفتح الليلي هذا الشهر.",
            faq=[{"q": "هل الدخول مجاني؟", "a": "نعم، لكل من يحمل بطاقة."}],
            language="ar",
            tags=["مكتبات"],
        ),
        make_story(
            id="generated",
            headline="Rail Freight Volumes Rise for a Third Month",
            methodology="This article was generated autonomously from 14 source records. "
            "No human editorial judgment was applied.",
        ),
        make_story(
            id="many-questions",
            headline="Everything About the New Bus Lanes",
            faq=[
                {"q": f"Question {n}: what changes on route {n}?", "a": f"Route {n} runs faster."}
                for n in range(1, 7)
            ],
        ),
    ]
    return [
        story.model_copy(update={"published": PUBLISHED - timedelta(hours=number)})
        for number, story in enumerate(stories)
    ]


def digest_edition() -> Edition:
    """A digest of the ten `digest_stories`, newest first, as a weekly schedule would make it
    (exported as `make_digest_edition`; the fixture `digest_edition` gives it to a test).

    >>> edition = make_digest_edition()
    >>> edition.kind, len(edition.stories), edition.lead.id
    ('digest', 10, 'cjk')
    """
    edition = digest(digest_stories(), PUBLISHED + timedelta(hours=1), timedelta(days=7))
    if edition is None or len(edition.stories) != DIGEST_SIZE:  # the stories above, changed
        raise RuntimeError(f"the sample digest must hold {DIGEST_SIZE} stories")
    return edition


def hard_editions() -> dict[str, Edition]:
    """Each hard story as its own edition, plus the ten-story digest (`digest`).

    >>> editions = hard_editions()
    >>> editions["cjk"].kind, editions["digest"].kind
    ('story', 'digest')
    """
    editions = {name: single(story) for name, story in hard_stories().items()}
    editions["digest"] = digest_edition()
    return editions
