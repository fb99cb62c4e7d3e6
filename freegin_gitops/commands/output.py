"""Writing results: JSON documents and plain aligned tables (no rendering library, so commands
start fast)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any


def emit(text: str) -> None:
    """Write to stdout; if the reader went away (``| head``), it has what it wanted: end quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


def emit_json(document: Any) -> None:
    emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


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
