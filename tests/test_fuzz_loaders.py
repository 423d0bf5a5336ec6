"""Fuzzing the three loaders: any input gives a Story or a one-line StoryError naming the
file, never another exception.

`make test` runs a fixed, bounded set of examples (derandomized, no deadline, so
that a slow moment on a busy machine cannot fail it). For a long random run:
`PUBLISHER_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz_loaders.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.errors import StoryError
from publisher.story import STORY_FIELDS
from publisher.workspace import Workspace
from support.project import EXAMPLES, SITE, STORY

LONG_RUN = "PUBLISHER_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(
    max_examples=int(os.environ.get("PUBLISHER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SUFFIXES = (".md", ".json", ".txt")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "config").mkdir()
    (root / "config" / "publisher.toml").write_text(SITE)  # no destination: only loading
    (root / "stories").mkdir()
    yield Workspace.open(root / "config" / "publisher.toml")


def _load(workspace: Workspace, suffix: str, data: bytes) -> None:
    """Load `data` as a story file: a Story whose JSON can be printed, or a one-line error."""
    path = workspace.stories_dir / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        loaded = workspace.load_story(path)
    except StoryError as error:
        message = str(error)
        assert len(message.splitlines()) == 1, message
        assert message.startswith(f"{path}: ") or message.startswith(f"{path}:"), message
        message.encode("utf-8")  # no lone surrogate: the terminal can print it
        return
    loaded.story.model_dump_json().encode("utf-8")


# Values and keys a story might hold, and some it should never hold ------------------------

_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_characters=""), max_size=40
)
_keys = st.sampled_from(
    [*sorted(STORY_FIELDS), "q", "a", "heading", "paragraphs", "title", "url", "alt"]
) | st.text(max_size=12)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | _text
    | st.sampled_from(["2026-11-20", "2026-02-30", "https://x.org/a", "en", "pt-BR", "a" * 200])
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=30,
)
_stories = st.dictionaries(_keys, _values, max_size=8).map(
    lambda fields: {"headline": "H", **fields}
)


def _json_text(fields: dict, ascii_only: bool) -> bytes:
    return json.dumps(fields, ensure_ascii=ascii_only, indent=1).encode("utf-8", "surrogatepass")


_JSON_TWISTS = [
    lambda text: text,
    lambda text: text[:-1] + ', "headline": "again"}',
    lambda text: text[:-1] + ', "priority": ' + "9" * 5000 + "}",
    lambda text: text[:-1] + ', "dek": ' + "[" * 3000 + "]" * 3000 + "}",
    lambda text: text[:-1] + ', "dek": "\\ud800"}',
    lambda text: text[: len(text) // 2],
    lambda text: text.replace(":", "::", 1),
    lambda text: "[" + text + "]",
]


@FUZZ
@given(_stories, st.booleans(), st.sampled_from(range(len(_JSON_TWISTS))))
def test_json_stories(workspace: Workspace, fields: dict, ascii_only: bool, twist: int) -> None:
    text = _json_text(fields, ascii_only).decode("utf-8", "surrogatepass")
    _load(workspace, ".json", _JSON_TWISTS[twist](text).encode("utf-8", "surrogatepass"))


_FRONT_MATTER = [
    "headline: A Headline",
    "dek: One line.",
    "id: a-story",
    "id: " + "a" * 200,
    "published: 2026-11-20",
    "published: 2026-02-30",
    "tags: [a, b]",
    "tags: [a, b",
    "faq:\n  - q: Why?\n    a: Because.",
    "faq:\n  - q: Why?",
    "a: &x [1, 2]",
    "b: *x",
    "c: &y [*y]",
    "dek: !!binary aGVsbG8=",
    "dek: !!python/object:os.system ls",
    "? [a, b]\n: c",
    "<<: {dek: merged}",
    "priority: " + "1:" * 300 + "1",
    "priority: " + "9" * 5000,
    'dek: "\\ud800"',
    "dek: " + "[" * 50 + "]" * 50,
    "dek: \t tab",
    "%YAML 1.1",
    "--- !!map",
    "headline: [1, 2]",
    "headline: 1984",
]
_MARKDOWN = [
    "# A Headline",
    "## A Section",
    "## Frequently Asked",
    "## The story so far",
    "## Methodology",
    "- A question?",
    "- An answer.",
    "A paragraph with *emphasis* and [a link](https://example.org).",
    "```\ncode\n```",
    "    indented code",
    "> a quote",
    "<div>html</div>",
    "&#xD800; &amp; &#0;",
    "---",
    "* * *",
    "[" * 200,
    "*a" * 200,
    "1. one\n   - two\n     > three",
]


@FUZZ
@given(
    st.lists(st.sampled_from(_FRONT_MATTER) | _text, max_size=8),
    st.lists(st.sampled_from(_MARKDOWN) | _text, max_size=12),
    st.booleans(),
)
def test_markdown_stories(
    workspace: Workspace, matter: list[str], body: list[str], fenced: bool
) -> None:
    text = "\n".join(body)
    if fenced:
        text = "---\n" + "\n".join(matter) + "\n---\n" + text
    _load(workspace, ".md", text.encode("utf-8", "surrogatepass"))


_EXPORT = [
    "A Headline",
    "A dek that ends.",
    "The story so far",
    "Frequently Asked",
    "Continue reading",
    "Methodology",
    "- A question?",
    "- An answer.",
    "– Another question?",
    "A continuing answer line.",
    "similarA Related Title",
    "A related dek.",
    "Generated from 1,234 source records.",
    "Generated from " + "9" * 30 + " source records.",
    "A sentence with a removed citation .",
    "x" + " " * 500 + ".",
    "Short heading",
]


@FUZZ
@given(st.lists(st.sampled_from(_EXPORT) | _text, max_size=20))
def test_text_exports(workspace: Workspace, lines: list[str]) -> None:
    _load(workspace, ".txt", "\n".join(lines).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(SUFFIXES))
def test_random_bytes(workspace: Workspace, data: bytes, suffix: str) -> None:
    _load(workspace, suffix, data)


_SEEDS = [(path.suffix, path.read_bytes()) for path in sorted(EXAMPLES.iterdir())] + [
    (".md", STORY.encode())
]
_EDIT_BYTES = st.sampled_from(
    [b"", b"\n", b"---\n", b"&", b"*", b"[", b"{", b'"', b"\\ud800", b"\xff", b"\x00", b":", b"- "]
) | st.binary(max_size=4)


@FUZZ
@given(
    st.sampled_from(range(len(_SEEDS))),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), _EDIT_BYTES), max_size=6),
)
def test_mutated_examples(
    workspace: Workspace, seed: int, edits: list[tuple[float, int, bytes]]
) -> None:
    """The shipped examples with a few bytes cut or inserted: near-valid files of every kind."""
    suffix, data = _SEEDS[seed]
    for where, cut, insert in edits:
        at = int(where * len(data))
        data = data[:at] + insert + data[at + cut :]
    _load(workspace, suffix, data)


def test_the_examples_are_stories(workspace: Workspace) -> None:
    """The seeds of the mutation test load as they are, so that mutations start from valid."""
    for suffix, data in _SEEDS:
        path = workspace.stories_dir / f"seed{suffix}"
        path.write_bytes(data)
        assert workspace.load_story(Path(path)).story.headline
