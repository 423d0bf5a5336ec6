"""Hand-written Bluesky posts of a generated story go out as written, then its disclosure,
in the story's language."""

from __future__ import annotations

from bluesky.conftest import Sky

STORY = """\
---
headline: Nachtmarkt am Hafen
published: 2026-11-20T18:00:00+01:00
language: de
generated: true
source_count: 7
posts:
  bluesky:
    - "Vierzig Stände, zwölf Familien: der Nachtmarkt am Hafen hat geöffnet."
    - "Freitags von sechs bis zwei Uhr nachts."
---

Text.
"""


def test_hand_written_posts_then_the_disclosure_in_the_storys_language(sky: Sky) -> None:
    sky.project.add_story("markt.md", STORY)
    parts = sky.parts("markt")
    assert [part["text"] for part in parts] == [
        "Vierzig Stände, zwölf Familien: der Nachtmarkt am Hafen hat geöffnet.",
        "Freitags von sechs bis zwei Uhr nachts.",
        "„Nachtmarkt am Hafen“ wurde von einem KI-Modell aus 7 Quellen geschrieben; kein "
        "Mensch hat den Text vor der Veröffentlichung geprüft.",
    ]
    assert [part["langs"] for part in parts] == [["de"]] * 3
    assert sky.publish("markt").status == "sent"
    assert sky.server.texts() == [part["text"] for part in parts] and sky.server.is_thread()


def test_disclosure_none_leaves_them_alone(sky: Sky) -> None:
    sky.configure('disclosure = "none"')
    sky.project.add_story("markt.md", STORY)
    assert len(sky.parts("markt")) == 2
