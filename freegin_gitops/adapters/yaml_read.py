"""Reading catalog YAML: fast, safe, and able to point at a line when something is wrong.

The read-only path uses PyYAML's C parser (libyaml) with a constructor of our own, which
understands only the YAML 1.2 core schema (strings, integers, floats, booleans, null, mappings,
sequences). Dates and timestamps stay strings: the schemas check their shape and the core parses
them. Nothing is ever executed: unknown tags are refused, never constructed.

Refused, with the line and column: duplicate keys, anchors and aliases, tags other than the core
ones, tab indentation, non-UTF-8 bytes, empty files, several documents in one file, non-string keys
nesting deeper than :data:`MAX_DEPTH`, integers of more than :data:`MAX_NUMBER_DIGITS` digits (Python
cannot even convert those of over 4,300) and numbers that overflow to infinity (``1e999``).

Positions are only needed for files with problems, so parsing does not record them; :func:`locate`
re-composes a file to find the node at a JSON path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from freegin_gitops.core.problems import JsonPath

try:  # libyaml is part of every PyYAML wheel; the pure parser is a slow but correct fallback.
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built

    class _Parser(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)


MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 64

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = f"{_CORE}map", f"{_CORE}seq"
_ALLOWED_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ}

_INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}


class YamlProblem(Exception):
    """A problem that makes a file unreadable, with a 1-based position."""

    def __init__(self, message: str, line: int, col: int, path: JsonPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.path = path


class _CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: ``yes``/``no``/``on``/``off`` and dates stay strings."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's own class-level table


for _tag, _regexp, _first in (
    (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (_INT, _INT_RE, "-+0123456789"),
    (_FLOAT, _FLOAT_RE, "-+0123456789."),
    (_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
):
    _CoreResolver.add_implicit_resolver(_tag, _regexp, list(_first))


class _Composer(_Parser, _CoreResolver):
    """libyaml's parser and composer with the core-schema resolver."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _CoreResolver.__init__(self)


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _number_problem(node: ScalarNode, path: JsonPath, message: str) -> YamlProblem:
    line, col = _mark(node.start_mark)
    return YamlProblem(message, line, col, path)


def _scalar(node: ScalarNode, path: JsonPath) -> Any:
    value: str = node.value
    tag = node.tag
    if tag == _STR:
        return value
    if tag in (_INT, _FLOAT) and len(value) > MAX_NUMBER_DIGITS and (tag == _INT or _INT_RE.match(value)):
        # int() refuses over 4,300 digits with a ValueError; no catalog number needs a tenth of that.
        raise _number_problem(
            node,
            path,
            f"the integer has {len(value.lstrip('+-').removeprefix('0x').removeprefix('0o'))} digits; "
            f"catalog integers have at most {MAX_NUMBER_DIGITS}",
        )
    if tag == _INT:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        if _INT_RE.match(value):
            return int(value, 10)
    elif tag == _FLOAT:
        if value.lower().endswith(("inf", "nan")):
            line, col = _mark(node.start_mark)
            raise YamlProblem(f"{value} is not allowed: catalog numbers are finite", line, col, path)
        if _FLOAT_RE.match(value):
            number = float(value)
            if not math.isfinite(number):  # 1e999 overflows to inf
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise _number_problem(
                    node, path, f"the number {shown} is too large: catalog numbers are finite"
                )
            return number
        if _INT_RE.match(value):
            return float(int(value, 0) if value.startswith(("0o", "0x")) else int(value))
    elif tag == _BOOL and value in _BOOLS:
        return _BOOLS[value]
    elif tag == _NULL and value in _NULLS:
        return None
    line, col = _mark(node.start_mark)
    raise YamlProblem(f"the value {value!r} cannot be read as {tag.rsplit(':', 1)[-1]}", line, col, path)


def _construct(node: Node, path: JsonPath, seen: set[int]) -> Any:
    if len(path) > MAX_DEPTH:
        line, col = _mark(node.start_mark)
        raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels", line, col)
    if node.tag not in _ALLOWED_TAGS:
        line, col = _mark(node.start_mark)
        shown = "!!" + node.tag[len(_CORE) :] if node.tag.startswith(_CORE) else node.tag
        raise YamlProblem(
            f"the tag {shown} is not allowed in catalog files (only plain YAML values)",
            line,
            col,
            path,
        )
    if id(node) in seen:
        line, col = _mark(node.start_mark)
        raise YamlProblem("YAML aliases are not allowed in catalog files", line, col, path)
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        return _scalar(node, path)
    if isinstance(node, SequenceNode):
        return [_construct(item, (*path, i), seen) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                line, col = _mark(key_node.start_mark)
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                raise YamlProblem(f"mapping keys must be plain strings, not {shown!r}", line, col, path)
            key = key_node.value
            if key in mapping:
                line, col = _mark(key_node.start_mark)
                raise YamlProblem(f"duplicate key {key!r}", line, col, path)
            mapping[key] = _construct(value_node, (*path, key), seen)
        return mapping
    raise YamlProblem("unexpected YAML node", *_mark(node.start_mark), path)  # pragma: no cover


def decode(raw: bytes) -> str:
    """Decode UTF-8 (a BOM is allowed); a bad byte is a :class:`YamlProblem` at its position."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, col) from exc
    return text[1:] if text.startswith("\ufeff") else text


def _check_events(text: str) -> None:
    """Refuse anchors and aliases, which composed nodes no longer show."""
    loader = _Composer(text)
    try:
        while loader.check_event():
            _refuse_anchor(loader.get_event())
    finally:
        loader.dispose()


def _refuse_anchor(event: yaml.Event | None) -> None:
    if event is None:
        return
    if isinstance(event, yaml.AliasEvent):
        raise YamlProblem(
            f"YAML aliases (*{event.anchor}) are not allowed in catalog files", *_mark(event.start_mark)
        )
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        raise YamlProblem(
            f"YAML anchors (&{anchor}) are not allowed in catalog files", *_mark(event.start_mark)
        )


def _explain(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line, col = _mark(mark)
    problem = exc.problem or "the file is not valid YAML"
    index = getattr(mark, "index", None)
    if isinstance(index, int) and index < len(text) and text[index] == "\t":
        problem = "tab characters are not allowed for indentation; use spaces"
    elif "expected a single document" in (exc.context or ""):
        problem = "a catalog file holds exactly one YAML document"
    elif exc.context:
        problem = f"{problem} ({exc.context})"
    return YamlProblem(problem, line, col)


def _position(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _translate(exc: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _position(text, exc.position)
        return YamlProblem(
            f"the file contains the character #x{exc.character:04x}, which YAML does not allow",
            line,
            col,
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        return _explain(exc, text)
    return YamlProblem(f"the file cannot be read as YAML ({exc})", 1, 1)  # pragma: no cover


def parse(text: str) -> Any:
    """Parse one catalog document; raise :class:`YamlProblem` for anything refused."""
    loader = None
    try:
        if "&" in text or "*" in text:
            _check_events(text)
        loader = _Composer(text)
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _translate(exc, text) from exc
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise YamlProblem("the file is empty; it must hold a YAML mapping", 1, 1)
    return _construct(node, (), set())


def parse_bytes(raw: bytes) -> Any:
    """Decode and parse; see :func:`parse`."""
    return parse(decode(raw))


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    col: int


class Locator:
    """Finds where a JSON path is in one file's text; composes the file once, on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: Node | None = None
        self._composed = False

    def _node(self) -> Node | None:
        if not self._composed:
            self._composed = True
            try:
                loader = _Composer(self._text)
                try:
                    self._root = loader.get_single_node()
                finally:
                    loader.dispose()
            except yaml.YAMLError:
                self._root = None
        return self._root

    def locate(self, path: Sequence[str | int], key: str | None = None) -> Position:
        """Where the value at ``path`` starts (with ``key``: that key of the mapping at ``path``).

        Falls back to the nearest existing ancestor when the path does not exist.
        """
        node = self._node()
        if node is None:
            return Position(1, 1)
        for part in path:
            child: Node | None = None
            if isinstance(node, MappingNode) and isinstance(part, str):
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and k.value == part:
                        child = v
                        break
            elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
            if child is None:
                break
            node = child
        if key is not None and isinstance(node, MappingNode):
            for k, _v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    return Position(*_mark(k.start_mark))
        return Position(*_mark(node.start_mark))
