"""Writing results: JSON documents and plain aligned tables (no rendering library, so commands
start fast)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from freegin_gitops.core import json_text


def _reader_gone() -> None:
    """The reader went away (``| head``): it has what it wanted, so end quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(0) from None


def emit(text: str) -> None:
    """Write to stdout; if the reader went away (``| head``), it has what it wanted: end quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_gone()


def emit_bytes(*pieces: bytes | Iterable[bytes]) -> None:
    """Write bytes (UTF-8 text) to stdout as they come, after whatever text was written before."""
    try:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        write = buffer.write if buffer is not None else (lambda b: sys.stdout.write(b.decode("utf-8")))
        for piece in pieces:
            for part in (piece,) if isinstance(piece, bytes) else piece:
                write(part)
        (buffer or sys.stdout).flush()
    except BrokenPipeError:
        _reader_gone()


def emit_json(document: Any) -> None:
    emit_bytes(json_text.pretty(document), b"\n")


def emit_json_array(items: Iterable[Any]) -> None:
    """Write ``items`` as one indented JSON array, piece by piece: the same text as
    ``emit_json(list(items))`` without holding the list or its text in memory."""
    emit_bytes(json_text.pretty_array(items), b"\n")


def note(text: str) -> None:
    """A remark for the person at the terminal (stderr, so stdout stays machine-readable)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in (headers, *rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
