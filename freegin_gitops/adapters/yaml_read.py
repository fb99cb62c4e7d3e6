"""Reading catalog YAML: fast, safe, and able to point at a line when something is wrong.

The read-only path uses PyYAML's C parser (libyaml) with a constructor of our own, which
understands only the YAML 1.2 core schema (strings, integers, floats, booleans, null, mappings,
sequences). Dates and timestamps stay strings: the schemas check their shape and the core parses
them. Nothing is ever executed: unknown tags are refused, never constructed.

Refused, with the line and column: duplicate keys, anchors and aliases, tags other than the core
ones, tab indentation, non-UTF-8 bytes, empty files, several documents in one file, non-string keys,
nesting deeper than :data:`MAX_DEPTH`, integers of more than :data:`MAX_NUMBER_DIGITS` digits (Python
cannot even convert those of over 4,300) and numbers that overflow to infinity (``1e999``).

Values are built straight from libyaml's events, without a node tree. Positions are only needed
for files with problems, so parsing does not record them; ``yaml_locate`` finds the nodes at
JSON paths in a second pass over the events.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

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


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


Parser = _Parser  # libyaml's event parser, for yaml_locate
mark_position = _mark  # 1-based (line, column) of a libyaml mark


def _scalar(value: str, tag: str, mark: Any, path: JsonPath) -> Any:
    """The value of a scalar of a core tag other than ``!!str`` (strings never come here)."""
    if tag in (_INT, _FLOAT) and len(value) > MAX_NUMBER_DIGITS and (tag == _INT or _INT_RE.match(value)):
        # int() refuses over 4,300 digits with a ValueError; no catalog number needs a tenth of that.
        digits = len(value.lstrip("+-").removeprefix("0x").removeprefix("0o"))
        raise YamlProblem(
            f"the integer has {digits} digits; catalog integers have at most {MAX_NUMBER_DIGITS}",
            *_mark(mark),
            path,
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
            raise YamlProblem(f"{value} is not allowed: catalog numbers are finite", *_mark(mark), path)
        if _FLOAT_RE.match(value):
            number = float(value)
            if not math.isfinite(number):  # 1e999 overflows to inf
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise YamlProblem(
                    f"the number {shown} is too large: catalog numbers are finite", *_mark(mark), path
                )
            return number
        if _INT_RE.match(value):
            return float(int(value, 0) if value.startswith(("0o", "0x")) else int(value))
    elif tag == _BOOL and value in _BOOLS:
        return _BOOLS[value]
    elif tag == _NULL and value in _NULLS:
        return None
    raise YamlProblem(f"the value {value!r} cannot be read as {tag.rsplit(':', 1)[-1]}", *_mark(mark), path)


_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = _CoreResolver.yaml_implicit_resolvers


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    """The tag PyYAML's composer would give the scalar (YAML 1.2 core schema)."""
    tag: str | None = event.tag
    if tag is not None and tag != "!":
        return tag
    # _build has kept quoted scalars without a tag; libyaml calls a scalar tagged "!" plain.
    value: str = event.value
    for resolved, pattern in _RESOLVERS.get(value[0] if value else "", ()):
        if pattern.match(value):
            return resolved
    return _STR


def _refused_tag(tag: str, mark: Any, path: JsonPath) -> YamlProblem:
    shown = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    return YamlProblem(
        f"the tag {shown} is not allowed in catalog files (only plain YAML values)",
        *_mark(mark),
        path,
    )


def _refused_anchor(event: Any) -> YamlProblem:
    if isinstance(event, yaml.AliasEvent):
        return YamlProblem(
            f"YAML aliases (*{event.anchor}) are not allowed in catalog files",
            *_mark(event.start_mark),
        )
    return YamlProblem(
        f"YAML anchors (&{event.anchor}) are not allowed in catalog files", *_mark(event.start_mark)
    )


# The line breaks libyaml counts lines by (its marks, yaml_locate's positions), in UTF-8.
_BREAKS = re.compile(rb"\r\n?|\n|\xc2\x85|\xe2\x80[\xa8\xa9]")

_NO_KEY = object()  # the mapping on top of the stack waits for a key
_SHORT = 24  # scalars up to this length are shared: dates, statuses, workload names, keys


def _path(containers: list[Any], keys: list[Any]) -> JsonPath:
    """The JSON path of the value being built, from the open collections."""
    out: list[str | int] = []
    last = len(containers) - 1
    for depth, (container, key) in enumerate(zip(containers, keys, strict=True)):
        if isinstance(container, list):
            out.append(len(container) if depth == last else len(container) - 1)
        elif key is not _NO_KEY:
            out.append(key)
    return tuple(out)


def _build(parser: Any) -> Any:
    """The one document of ``parser``'s stream, as plain Python values, straight from libyaml's
    events.

    Composing a node tree first (as PyYAML does) keeps every scalar of the file alive as a node
    with two position marks, about 25 times the file's size in memory. Here only the values are
    kept, repeated short strings and integers are shared, and positions are looked up again only
    for files that have problems (``yaml_locate``). The loop is written out flat: it runs once
    per scalar of the file.
    """
    get = parser.get_event
    get()  # stream start
    event = get()
    if isinstance(event, yaml.StreamEndEvent):
        raise YamlProblem("the file is empty; it must hold a YAML mapping", 1, 1)
    containers: list[Any] = []  # the open collections, outermost first
    keys: list[Any] = []  # per open collection: the key being filled (mappings), else None
    strings: dict[str, str] = {}
    ints: dict[int, int] = {}
    share = strings.setdefault
    resolvable = _RESOLVERS.keys()
    scalar_event, alias_event, mapping_start = yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent
    sequence_start, document_end = yaml.SequenceStartEvent, yaml.DocumentEndEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    document: Any = None
    while True:
        event = get()
        kind = type(event)
        if kind in ends:
            done = containers.pop()
            keys.pop()
            if not keys:
                document = done
            elif keys[-1] is not None:  # a mapping: its next event is a key
                keys[-1] = _NO_KEY
            continue
        if kind is document_end:
            break
        if kind is alias_event or event.anchor is not None:
            raise _refused_anchor(event)
        if len(containers) > MAX_DEPTH:
            raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels", *_mark(event.start_mark))
        top = containers[-1] if containers else None
        is_key = top is not None and keys[-1] is _NO_KEY
        if kind is scalar_event:
            value = event.value
            if event.tag is None and (not event.implicit[0] or (value and value[0] not in resolvable)):
                tag = _STR  # the common case: a plain or quoted string
            else:
                tag = _scalar_tag(event)
            if tag == _STR:
                if len(value) <= _SHORT:
                    value = share(value, value)
            elif is_key:
                raise YamlProblem(
                    f"mapping keys must be plain strings, not {value!r}",
                    *_mark(event.start_mark),
                    _path(containers, keys),
                )
            elif tag in _ALLOWED_TAGS and tag != _MAP and tag != _SEQ:
                value = _scalar(value, tag, event.start_mark, _path(containers, keys))
                if type(value) is int and len(event.value) <= _SHORT:
                    value = ints.setdefault(value, value)
            else:
                raise _refused_tag(tag, event.start_mark, _path(containers, keys))
            if top is None:
                document = value
            elif is_key:
                if value in top:
                    raise YamlProblem(
                        f"duplicate key {value!r}", *_mark(event.start_mark), _path(containers, keys)
                    )
                keys[-1] = value
            elif keys[-1] is None:
                top.append(value)
            else:
                top[keys[-1]] = value
                keys[-1] = _NO_KEY
            continue
        if kind is not mapping_start and kind is not sequence_start:  # pragma: no cover - libyaml's grammar
            raise YamlProblem("unexpected YAML event", *_mark(event.start_mark), _path(containers, keys))
        default = _MAP if kind is mapping_start else _SEQ
        tag = event.tag
        if tag is not None and tag != "!" and tag != default:
            raise _refused_tag(tag, event.start_mark, _path(containers, keys))
        if is_key:
            raise YamlProblem(
                "mapping keys must be plain strings, not 'a collection'",
                *_mark(event.start_mark),
                _path(containers, keys),
            )
        container: Any = {} if kind is mapping_start else []
        if top is not None:
            if keys[-1] is None:
                top.append(container)
            else:
                top[keys[-1]] = container  # the key stays until the collection ends
        containers.append(container)
        keys.append(_NO_KEY if kind is mapping_start else None)
    event = get()
    if not isinstance(event, yaml.StreamEndEvent):
        raise YamlProblem("a catalog file holds exactly one YAML document", *_mark(event.start_mark))
    return document


def _check_utf8(raw: bytes, chunk: int = 1 << 20) -> None:
    """Refuse bytes that are not UTF-8, at their position, without decoding the file at once."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    for start in range(0, len(raw), chunk):
        piece = view[start : start + chunk]
        try:
            decoder.decode(piece, final=start + chunk >= len(raw))
        except UnicodeDecodeError as exc:
            held = len(exc.object) - len(piece)  # bytes of a sequence begun in the previous chunk
            bad = start - held + exc.start
            line, col = _position(raw, bad)
            raise YamlProblem(f"the file is not valid UTF-8 (byte 0x{raw[bad]:02x})", line, col) from exc


def _line_of(source: str | bytes, line: int) -> str:
    """Line ``line`` (1-based) of ``source``, as text."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    lines = _BREAKS.split(data, maxsplit=line)
    return lines[line - 1].decode("utf-8", "replace") if line <= len(lines) else ""


def _explain(exc: yaml.MarkedYAMLError, source: str | bytes) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line, col = _mark(mark)
    problem = exc.problem or "the file is not valid YAML"
    text = _line_of(source, line).lstrip("\ufeff") if mark is not None else ""
    if col - 1 < len(text) and text[col - 1] == "\t":
        problem = "tab characters are not allowed for indentation; use spaces"
    elif exc.context:
        problem = f"{problem} ({exc.context})"
    return YamlProblem(problem, line, col)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of the byte at ``offset``."""
    line, line_start = 1, 0
    for found in _BREAKS.finditer(data, 0, offset):
        line, line_start = line + 1, found.end()
    col = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    if line_start == 0 and data.startswith(b"\xef\xbb\xbf"):
        col -= 1
    return line, col


def _translate(exc: yaml.YAMLError, source: str | bytes) -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
        line, col = _position(data, exc.position)
        return YamlProblem(
            f"the file contains the character #x{exc.character:04x}, which YAML does not allow",
            line,
            col,
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        return _explain(exc, source)
    return YamlProblem(f"the file cannot be read as YAML ({exc})", 1, 1)  # pragma: no cover


def _parse(source: str | bytes) -> Any:
    import gc

    parser = _Parser(source)
    # The values built here hold no reference cycles, so the cyclic collector has nothing to
    # find; left on, it would walk every container built so far again at each full collection.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(parser)
    except yaml.YAMLError as exc:
        raise _translate(exc, source) from exc
    finally:
        if collecting:
            gc.enable()
        parser.dispose()


def parse(text: str) -> Any:
    """Parse one catalog document; raise :class:`YamlProblem` for anything refused."""
    return _parse(text)


def parse_bytes(raw: bytes) -> Any:
    """Check that ``raw`` is UTF-8 (a BOM is allowed) and parse it; see :func:`parse`.

    The bytes go to libyaml as they are: no decoded copy of the file is made.
    """
    _check_utf8(raw)
    return _parse(raw)
