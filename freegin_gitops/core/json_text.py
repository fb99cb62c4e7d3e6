"""JSON text as the tool writes it: UTF-8, keys in the order they were put in, and for people
two-space indentation (the compiled catalog's documented format, ``--json`` output).

orjson writes it (see README "Dependencies, and why": the standard library's encoder drops to
pure Python as soon as it indents, and takes seconds for a 50,000-model catalog). The standard
library is the fallback for the one thing orjson refuses that a catalog can hold, integers
beyond 64 bits; its indented text is the same byte for byte except for how numbers below 1e-4
are spelled (``1e-05`` against orjson's ``0.00001``: the same JSON number).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_INDENT = orjson.OPT_INDENT_2


def pretty(value: Any) -> bytes:
    """``value`` as indented JSON (no trailing newline)."""
    try:
        return orjson.dumps(value, option=_INDENT)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits
        return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


def compact(value: Any) -> bytes:
    """``value`` as JSON without any whitespace, for caches: read it back with :func:`loads`.

    Text the standard library had to write (an integer beyond 64 bits) starts with a space, so
    that :func:`loads` reads it with the standard library too: orjson would read such an integer
    as a float.
    """
    try:
        return orjson.dumps(value)
    except TypeError:
        return b" " + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Read what :func:`compact` wrote; :class:`ValueError` when it is not JSON."""
    if data[:1] == b" ":
        return json.loads(bytes(data))
    return orjson.loads(data)


def loads_any(data: bytes | str) -> Any:
    """Read JSON text from anywhere, exactly (integers of any size stay integers);
    :class:`ValueError` when it is not JSON."""
    return json.loads(data)


def pretty_array(items: Iterable[Any], chunk: int = 512) -> Iterator[bytes]:
    """The text of ``pretty(list(items))`` in pieces, without holding the list or its text: each
    piece is a run of elements rendered by :func:`pretty` as an array, without its brackets."""
    batch: list[Any] = []
    first = True
    for item in items:
        batch.append(item)
        if len(batch) >= chunk:
            yield (b"[\n" if first else b",\n") + pretty(batch)[2:-2]
            first = False
            batch = []
    if batch:
        yield (b"[\n" if first else b",\n") + pretty(batch)[2:-2]
        first = False
    yield b"[]" if first else b"\n]"
