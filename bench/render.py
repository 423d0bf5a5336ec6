"""Render: every destination of the default configuration for one story and for a 10-story
digest, in milliseconds, with the email's MJML compile shown on its own.

    .venv/bin/python bench/render.py

One story is the seed story (else an example story); the digest is ten copies of it,
an hour apart. Each figure is the best of 10 renders (the first, which loads templates and
the channels' libraries, is left out and shown apart). The MJML compile is the email
template's own MJML, compiled by mjml-python, as render does it once per edition and
destination.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from mjml import mjml2html

from publisher.edition import Edition, digest, single
from publisher.workspace import Workspace
from publisher_email.render import template_values

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "samples" / "open-source-compact.txt"
EXAMPLE = ROOT / "examples" / "stories" / "harbour-ferry-fares.txt"
REPEATS = 10


def best_ms(work, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def editions(workspace: Workspace) -> dict[str, Edition]:
    story = workspace.stories[0]
    stories = [
        story.model_copy(
            update={"id": f"{story.id}-{n}", "headline": f"{story.headline} ({n})",
                    "published": story.published - timedelta(hours=n)}
        )
        for n in range(10)
    ]  # fmt: skip
    ten = digest(stories, story.published + timedelta(minutes=1), timedelta(days=7))
    assert ten is not None and len(ten.stories) == 10
    return {"one story": single(story), "10-story digest": ten}


def mjml_of(edition: Edition, destination) -> str:
    """The MJML the email template makes for this edition: what render compiles."""
    template, values = template_values(edition, destination)
    return destination.templates.render(f"{template}.mjml", **values)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="publisher-render-") as temporary:
        folder = Path(temporary)
        (folder / "config").mkdir()
        shutil.copy(ROOT / "config" / "publisher.toml", folder / "config" / "publisher.toml")
        (folder / "stories").mkdir()
        story = SEED if SEED.exists() else EXAMPLE
        shutil.copy(story, folder / "stories" / story.name)
        workspace = Workspace.open(folder / "config" / "publisher.toml", cwd=folder)
        destinations = workspace.destinations()
        print(f"render, ms (best of {REPEATS}; the first render of each apart, in brackets):")
        for label, edition in editions(workspace).items():
            total = 0.0
            cells = []
            for destination in destinations:
                start = time.perf_counter()
                workspace.render(edition, destination)
                first = (time.perf_counter() - start) * 1e3
                ms = best_ms(lambda d=destination, e=edition: workspace.render(e, d))
                total += ms
                cells.append(f"{destination.name} {ms:.1f} [{first:.0f}]")
                if destination.channel == "email":
                    mjml = mjml_of(edition, destination)
                    options = {"disable_comments": True, "fonts": {}}
                    compile_ms = best_ms(lambda m=mjml, o=options: mjml2html(m, **o))
                    cells.append(f"(of which MJML compile {compile_ms:.1f})")
            print(f"  {label:<16} all {total:6.1f}:  " + "  ".join(cells))


if __name__ == "__main__":
    main()
