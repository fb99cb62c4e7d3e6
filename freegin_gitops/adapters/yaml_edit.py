"""Round-trip YAML for catalog edits: the one place that configures ruamel.yaml.

A document is loaded with its comments, blank lines, key order, quoting, flow style and folded
scalars, changed through the helpers in :mod:`freegin_gitops.adapters.yaml_nodes`, and dumped back
so that only the changed entry differs.

Settings, and why:

- YAML 1.2 core schema as in :mod:`~freegin_gitops.adapters.yaml_read`, without the timestamp
  resolver: ``2026-11-01`` and ``2026-11-20T09:00:00Z`` load as strings and are written back as
  they were; a new ``"2026-11-25"`` string is written unquoted, since nothing resolves it.
- ``preserve_quotes``: quoted scalars keep their quotes (and :func:`like` gives a replacement the
  same style).
- A line width that never re-wraps; indentation guessed from the file (the starter catalog's
  mapping 2, sequence 4, offset 2 when the file has no nested collection to guess from).
- Nulls and booleans keep their spelling (``~``, an empty value, ``True``): ruamel would write
  ``null`` as an empty value and ``True`` as ``true``. New ``None`` values are written ``null``.
- Lines before a ``---`` document start (the schema modeline, directives) are kept verbatim;
  CRLF line ends and a byte-order mark are restored.

What ruamel still normalises (whole file, but only where a person wrote it so): spaces at line
ends, more than one space after ``key:``, spaces inside flow braces (``{ a: 1 }`` is written
``{a: 1}``), a ``+`` sign on an integer, uneven indentation, and a missing newline at the end of
the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers
from ruamel.yaml.scalarstring import ScalarString

from freegin_gitops.core.problems import Problem
from freegin_gitops.errors import CatalogInvalid, FreeginError

_NEVER_WRAP = 1 << 30
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_DOC_START = re.compile(r"^---[ \t]*(?:#.*)?$")
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Indent:
    """ruamel's block indentation: mapping, sequence (item content) and offset (the dash)."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


class Spelled:
    """A null or boolean scalar written in another spelling than ``null``/``true``/``false``."""

    __slots__ = ("tag", "text", "value")

    def __init__(self, tag: str, text: str, value: bool | None) -> None:
        self.tag = tag
        self.text = text
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, Spelled) else other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Spelled({self.text!r})"


def plain_value(value: Any) -> Any:
    """``value`` with a :class:`Spelled` scalar replaced by the Python value it stands for."""
    return value.value if isinstance(value, Spelled) else value


class _Resolver(VersionedResolver):
    """YAML 1.2 rules without timestamps: dates are strings, as on the read path."""

    @property
    def versioned_resolver(self) -> Any:
        version = (1, 2)
        if version not in self._version_implicit_resolver:
            for versions, tag, regexp, first in implicit_resolvers:
                if version in versions and tag != _TIMESTAMP:
                    self.add_version_implicit_resolver(version, tag, regexp, first)
        return self._version_implicit_resolver[version]


class _Constructor(RoundTripConstructor):
    def construct_spelled_null(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        return None if text == "null" else Spelled(_NULL, str(text), None)

    def construct_spelled_bool(self, node: Any) -> Any:
        text = str(self.construct_scalar(node))
        value = text.lower() == "true"
        return value if text in ("true", "false") else Spelled(_BOOL, text, value)


_Constructor.add_constructor(_NULL, _Constructor.construct_spelled_null)
_Constructor.add_constructor(_BOOL, _Constructor.construct_spelled_bool)


class _Representer(RoundTripRepresenter):
    def represent_null_word(self, data: Any) -> Any:
        return self.represent_scalar(_NULL, "null")

    def represent_spelled(self, data: Spelled) -> Any:
        return self.represent_scalar(data.tag, data.text)


_Representer.add_representer(type(None), _Representer.represent_null_word)
_Representer.add_representer(Spelled, _Representer.represent_spelled)


def _yaml(indent: Indent) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Resolver = _Resolver
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.version = None  # no %YAML header on output; documents are read as YAML 1.2
    yaml.preserve_quotes = True
    yaml.width = _NEVER_WRAP
    yaml.explicit_start = False
    yaml.allow_unicode = True
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [1, {c: d}], not [1, c: d]
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return yaml


@dataclass(slots=True)
class Document:
    """One catalog file, loaded for a round-trip edit. Change ``root`` in place, then dump."""

    file: str
    root: CommentedMap
    indent: Indent
    header: str  # lines before a ``---`` document start, kept verbatim
    crlf: bool
    bom: bool


def _split_header(text: str) -> tuple[str, str]:
    """Lines up to and including a ``---`` document start, and the rest (ruamel drops comments
    before ``---``)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _DOC_START.match(stripped):
            return "".join(lines[: i + 1]), "".join(lines[i + 1 :])
        if stripped and not stripped.startswith(("#", "%")):
            break
    return "", text


def _guess_indent(root: CommentedMap, lines: list[str]) -> Indent:
    mapping = sequence = offset = None
    parents: list[tuple[Any, Any, int]] = [(root, key, 0) for key in root]
    for parent, key, _depth in parents:
        value = parent[key]
        where = parent.lc.key(key) if isinstance(parent, CommentedMap) else parent.lc.item(key)
        key_col = where[1]
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            if isinstance(parent, CommentedMap) and mapping is None:
                mapping = value.lc.key(next(iter(value)))[1] - key_col
            if _depth < 2:
                parents.extend((value, k, _depth + 1) for k in value)
        elif isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
            line, col = value.lc.item(0)
            before = lines[line][:col].rstrip()  # the item's line is a line of the body
            if sequence is None and isinstance(parent, CommentedMap) and before.endswith("-"):
                dash = len(before) - 1
                if col - dash >= 2 and dash >= key_col:
                    sequence, offset = col - key_col, dash - key_col
            if _depth < 2:
                parents.extend((value, i, _depth + 1) for i in range(len(value)))
        if mapping is not None and sequence is not None:
            break
    default = Indent()
    return Indent(
        mapping=mapping if mapping and mapping > 0 else default.mapping,
        sequence=sequence if sequence is not None else default.sequence,
        offset=offset if offset is not None else default.offset,
    )


def load(raw: bytes, file: str) -> Document:
    """Load one catalog file for editing; unreadable YAML is :class:`CatalogInvalid`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(file, 1, 1, f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
        raise CatalogInvalid([problem]) from exc
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    crlf = text.partition("\n")[0].endswith("\r")  # the first line's end says how all end
    text = text.replace("\r\n", "\n")
    header, body = _split_header(text)
    skipped = header.count("\n")
    try:
        root = _yaml(Indent()).load(body)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + skipped, mark.column + 1) if mark is not None else (1, 1)
        problem = Problem(file, line, col, exc.problem or "the file is not valid YAML")
        raise CatalogInvalid([problem]) from exc
    except YAMLError as exc:
        problem = Problem(file, 1, 1, f"the file cannot be read as YAML ({exc})")
        raise CatalogInvalid([problem]) from exc
    if not isinstance(root, CommentedMap):
        raise CatalogInvalid([Problem(file, 1, 1, "the file must hold a YAML mapping")])
    indent = _guess_indent(root, body.split("\n"))
    return Document(file, root, indent, header, crlf, bom)


def dump(doc: Document) -> bytes:
    """The document as bytes, with the original header, line ends and byte-order mark."""
    stream = io.StringIO()
    try:
        _yaml(doc.indent).dump(doc.root, stream)
    except YAMLError as exc:
        raise FreeginError(f"{doc.file} cannot be written as YAML: {exc}") from exc
    text = doc.header + stream.getvalue()
    if doc.crlf:
        text = text.replace("\n", "\r\n")
    return ((_BOM if doc.bom else "") + text).encode("utf-8")


def like(old: Any, new: str) -> str:
    """``new`` in the quoting style of the string ``old`` it replaces (plain if ``old`` was)."""
    if isinstance(old, ScalarString) and type(old) is not ScalarString:
        styled: str = type(old)(new)
        return styled
    return new


def folded(text: str, width: int = 88) -> str:
    """``text`` as a folded (``>-``) block scalar broken at spaces before ``width`` characters,
    the style people use for long prose in the catalog; short or multi-line text stays as is."""
    if len(text) <= width or "\n" in text or text != text.strip() or "  " in text:
        return text
    from ruamel.yaml.scalarstring import FoldedScalarString

    styled = FoldedScalarString(text)
    positions: list[int] = []
    start = 0
    while len(text) - start > width:
        cut = text.rfind(" ", start + 1, start + width + 1)
        if cut <= start:
            break
        positions.append(cut)
        start = cut + 1
    styled.fold_pos = positions
    out: str = styled
    return out
