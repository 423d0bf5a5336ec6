"""The shipped JSON Schema matches the model, and describes real story files."""

from __future__ import annotations

import json

import jsonschema

from publisher.story_schema import SCHEMA_FILE, render
from support.project import EXAMPLES, Project


def test_shipped_schema_is_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "regenerate it: python -m publisher.story_schema"
    )


def test_example_json_story_is_valid() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    story = json.loads((EXAMPLES / "tokyo-library-night.json").read_text(encoding="utf-8"))
    jsonschema.validate(story, schema)


def test_story_json_output_is_valid_input(project: Project) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for path in EXAMPLES.iterdir():
        result = project.run("story", str(path), "--json")
        jsonschema.validate(json.loads(result.out), schema)


def test_schema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"dek": "no headline"}))
    assert list(validator.iter_errors({"headline": "H", "faq": [{"q": "Why?"}]}))
    assert list(validator.iter_errors({"headline": "H", "teaser": "unknown key"}))
    assert not list(validator.iter_errors({"headline": "H", "published": "2026-11-20"}))
