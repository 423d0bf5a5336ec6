"""YAML front matter and JSON, read strictly: what a story needs and nothing that can hurt.

A story's fields are a few levels of keys, lists and text. Anchors and aliases
(the YAML alias bomb), duplicate keys (one value silently lost), numbers too long
for Python to convert, nesting deep enough to exhaust the stack and more values
than any story holds are refused here, each with the line it is on, so that no
input can hang or crash a run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from typing import Any, ClassVar, Protocol

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from publisher.loading import Location, printable

try:  # libyaml parses several times faster; the pure-Python parser gives the same events
    from yaml._yaml import CParser as _EventSource
except ImportError:  # PyYAML built without libyaml
    # The same name as the import above, defined only when that import failed.
    class _EventSource(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


MAX_DEPTH = 20  # a story needs 4 (story, faq, entry, answer)
MAX_VALUES = 20_000  # keys, list items and values together; a long story has a few thousand
MAX_NUMBER_LENGTH = 20  # characters of a number: source counts and priorities are short

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class Refused(ValueError):
    """Input outside the limits above; `line` is 1-based where known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# YAML -------------------------------------------------------------------------------------


class _StrictLoader(Composer, _EventSource, SafeConstructor, Resolver):
    """SafeLoader's parts, with a composer that refuses what front matter has no use for.

    Dates stay text (no timestamp resolver), so that a bad date gets our message
    and its line rather than YAML's.
    """

    def __init__(self, text: str) -> None:
        _EventSource.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._values = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        where = getattr(event, "start_mark", None)
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Problem("anchors and aliases (& and *) are not allowed", where)
        self._values += 1
        if self._values > MAX_VALUES:
            raise _Problem(f"more than {MAX_VALUES:,} keys and values", where)
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Problem(f"nested deeper than {MAX_DEPTH} levels", where)
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, CollectionStartEvent):
                self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        self.flatten_mapping(node)
        mapping: dict = {}
        first_lines: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise ConstructorError(
                    None, None, "a key must be a single value", key_node.start_mark
                )
            if key in mapping:
                reason = f"'{printable(str(key))}' is given twice"
                raise _Problem(reason, key_node.start_mark, first=first_lines[key])
            first_lines[key] = key_node.start_mark.line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: ScalarNode) -> int:
        _check_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        _check_number(node)
        return super().construct_yaml_float(node)

    yaml_constructors: ClassVar = {
        **SafeConstructor.yaml_constructors,
        "tag:yaml.org,2002:int": construct_yaml_int,
        "tag:yaml.org,2002:float": construct_yaml_float,
    }


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


class _Marked(Protocol):
    line: int  # 0-based


class _Problem(yaml.YAMLError):
    """A refusal at `mark` (PyYAML's or libyaml's), read as YAML's own errors are (`problem`,
    `problem_mark`); `first` is the line (0-based) a repeated key first appeared on."""

    def __init__(self, reason: str, mark: _Marked | None, first: int | None = None) -> None:
        super().__init__(reason)
        self.problem = reason
        self.problem_mark = mark
        self.first = first


def _check_number(node: ScalarNode) -> None:
    if len(node.value) > MAX_NUMBER_LENGTH:
        raise _Problem(
            f"a number longer than {MAX_NUMBER_LENGTH} characters (put it in quotes if it is text)",
            node.start_mark,
        )


def read_yaml(text: str, first_line: int = 1) -> tuple[Any, dict[Location, int]]:
    """The document's value and the line of each key and list item.

    Raises Refused with a file line (`first_line` is the file line of the
    text's first line) for invalid YAML and for anything over the limits.
    """
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        return loader.construct_document(node), _node_lines(node, first_line)
    except yaml.YAMLError as error:
        raise _refusal(error, text, first_line) from None
    finally:
        loader.dispose()


def _refusal(error: yaml.YAMLError, text: str, first_line: int) -> Refused:
    """YAML's error as one line, with the file line it points at."""
    reason = getattr(error, "problem", None) or str(error).splitlines()[0]
    first = getattr(error, "first", None)
    if first is not None:
        reason += f" (first on line {first + first_line})"
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return Refused(reason, mark.line + first_line)
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not accept
        return Refused(reason, text.count("\n", 0, error.position) + first_line)
    return Refused(reason)


def yaml_lines(text: str, first_line: int = 1) -> dict[Location, int]:
    """The line of each key and list item, or nothing when YAML cannot read the text."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()
    return _node_lines(node, first_line) if node is not None else {}


def _node_lines(root: Node, first_line: int) -> dict[Location, int]:
    lines: dict[Location, int] = {}
    pending: list[tuple[Node, Location]] = [(root, ())]
    while pending:  # iterative: depth is bounded, but a walk need not rely on it
        node, location = pending.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                here = (*location, key.value) if isinstance(key, ScalarNode) else None
                if here is not None:
                    lines.setdefault(here, key.start_mark.line + first_line)
                    pending.append((value, here))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                here = (*location, index)
                lines[here] = item.start_mark.line + first_line
                pending.append((item, here))
    return lines


# JSON -------------------------------------------------------------------------------------


def read_json(text: str) -> tuple[Any, dict[Location, int]]:
    """The document's value and the line of each key and list item; Refused names the line."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise Refused(f"invalid JSON: {error.msg}", error.lineno) from None
    except RecursionError:  # raised by the C scanner before it can exhaust anything
        raise Refused(f"nested deeper than {MAX_DEPTH} levels", _line_too_deep(text)) from None
    except _Duplicate as duplicate:
        raise Refused(duplicate.reason, _line_of_key(text, duplicate.key)) from None
    except _LongNumber as number:
        raise Refused(number.reason, _line_of_number(text, number.digits)) from None
    if not isinstance(value, dict):
        return value, {}
    problem = _shape_problem(value)  # before composing the lines: it bounds their cost
    if problem is not None:
        reason, location = problem
        raise Refused(reason, _deepest_line(location, _key_lines(text, value)))
    return value, yaml_lines(text) or _key_lines(text, value)


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key
        self.reason = f"'{printable(key)}' is given twice"


class _LongNumber(Exception):
    def __init__(self, digits: str) -> None:
        self.digits = digits
        self.reason = f"a number longer than {MAX_NUMBER_LENGTH} characters"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _Duplicate(key)
        mapping[key] = value
    return mapping


def _bounded_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_LENGTH:
        raise _LongNumber(digits)
    return int(digits)


def _shape_problem(value: Any) -> tuple[str, Location] | None:
    """Nesting or size over the limits, and where; counting stops at the limit."""
    pending: list[tuple[Any, Location]] = [(value, ())]
    count = 1
    while pending:
        item, location = pending.pop()
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in children:
            count += 1
            here = (*location, key)
            if count > MAX_VALUES:
                return f"more than {MAX_VALUES:,} keys and values", here
            if isinstance(child, dict | list):
                if len(here) + 1 > MAX_DEPTH:  # the root is level 1
                    return f"nested deeper than {MAX_DEPTH} levels", here
                pending.append((child, here))
    return None


def _deepest_line(location: Location, lines: dict[Location, int]) -> int | None:
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def _key_lines(text: str, fields: dict) -> dict[Location, int]:
    """Top-level key lines, for the JSON that YAML cannot read (tab indentation, say)."""
    lines: dict[Location, int] = {}
    for key in list(fields)[:100]:  # a story has a dozen keys; more are refused anyway
        spellings = {json.dumps(key, ensure_ascii=False), json.dumps(key)}  # é or \u00e9
        pattern = "|".join(re.escape(spelling) for spelling in spellings)
        found = re.search(rf"(?:{pattern})\s*:", text)
        if found:
            lines[(key,)] = text.count("\n", 0, found.start()) + 1
    return lines


def _line_of_key(text: str, key: str) -> int | None:
    """The line of the second `"key":`, when the key is written without escapes."""
    found = list(re.finditer(rf"{re.escape(json.dumps(key, ensure_ascii=False))}\s*:", text))
    return text.count("\n", 0, found[1].start()) + 1 if len(found) > 1 else None


_JSON_MARKS = re.compile(r'[\[\]{}"\\]')


def _line_too_deep(text: str) -> int | None:
    """The line where brackets outside strings first nest deeper than MAX_DEPTH."""
    depth, in_string, escaped = 0, False, -1
    for found in _JSON_MARKS.finditer(text):
        at, mark = found.start(), found.group()
        if at == escaped:
            continue
        if mark == "\\":
            escaped = at + 1
        elif mark == '"':
            in_string = not in_string
        elif not in_string:
            depth += 1 if mark in "[{" else -1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, at) + 1
    return None


def _line_of_number(text: str, digits: str) -> int | None:
    found = re.search(rf"(?<![\d.\"]){re.escape(digits)}(?![\d.])", text)
    return text.count("\n", 0, found.start()) + 1 if found else None
