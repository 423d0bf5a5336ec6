"""The composer example in docs/plugins.md runs, and makes the thread it says it does."""

from __future__ import annotations

import re
from pathlib import Path

from publisher import Channel
from publisher.edition import single
from publisher.social import SocialSettings
from publisher.testing import make_destination, make_story
from publisher.text import graphemes

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def example() -> dict:
    section = DOCS.read_text(encoding="utf-8").split("## Threads: the composer", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace


class Skyline(Channel):
    name = "skyline"
    settings_model = SocialSettings

    def render(self, edition, destination):
        return example()["render"](edition, destination)


def test_the_documented_render_makes_a_numbered_disclosed_thread(tmp_path: Path) -> None:
    story = make_story(
        summary="The harbour's first solar ferry started service on Monday. " * 8,
        generated=True,
        language="de",
    )
    destination = make_destination(Skyline, {"channel": "skyline", "thread": "faq"}, tmp_path)
    parts = Skyline().render(single(story), destination).parts
    assert len(parts) >= 4
    assert all(part.length == graphemes(part.text) <= 300 for part in parts)
    assert [part.text.rsplit(" ", 1)[1] for part in parts] == [
        f"{n}/{len(parts)}" for n in range(1, len(parts) + 1)
    ]
    assert "How long is the crossing?\nTwelve minutes." in parts[-2].text
    assert parts[-1].text.startswith(f"„{story.headline}“ wurde von einem KI-Modell")
    assert {part.extra["language"] for part in parts} == {"de"}
