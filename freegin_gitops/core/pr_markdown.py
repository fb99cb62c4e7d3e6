"""Inert markdown for text that others wrote: LLM answers, provider error messages.

GitHub renders a pull request body's markdown, raw HTML, ``@mentions``, ``#123`` references and
bare URLs. :func:`inline_text` turns any text into one line that renders as itself: every
character that could start markup is written as an HTML character reference, and mentions,
references and autolinks are broken with a zero-width space (as Dependabot and Renovate do):
GitHub finds mentions in the rendered text, where character references are already decoded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_TEXT = 300

_ZWSP = "&#8203;"
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "|": "&#124;",
        "\\": "&#92;",
        "`": "&#96;",
        "[": "&#91;",
        "]": "&#93;",
        "(": "&#40;",
        ")": "&#41;",
        "!": "&#33;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "@": "&#64;" + _ZWSP,
        "#": "&#35;" + _ZWSP,
    }
)
_AUTOLINK = re.compile(r"(?i)://|\bwww\.|\bgh-(?=\d)")
NONE = "—"


def _one_line(text: str, limit: int) -> str:
    """``text`` with whitespace of any kind collapsed to single spaces and invisible or control
    characters (bidi overrides, zero-width characters, lone surrogates) dropped; reading stops
    once more than ``limit`` characters are kept, so huge texts cost no more than short ones."""
    kept: list[str] = []
    pending_space = False
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Cc", "Zl", "Zp"):
            pending_space = bool(kept)
        elif category not in ("Cf", "Cs"):
            if pending_space:
                kept.append(" ")
                pending_space = False
            kept.append(ch)
            if len(kept) > limit:
                break
    return "".join(kept)


def _break_autolink(match: re.Match[str]) -> str:
    found = match[0]
    return f"{found[:-1]}{_ZWSP}{found[-1]}" if found != "://" else f":{_ZWSP}//"


def inline_text(text: str | None, limit: int = MAX_TEXT) -> str:
    """``text`` as one line of inert markdown, cut to ``limit`` characters with an ellipsis;
    safe inside a table cell, a list item or a heading. Empty or missing text gives a dash."""
    line = _one_line(text or "", limit)
    if not line:
        return NONE
    if len(line) > limit:
        line = line[: max(1, limit - 1)].rstrip() + "…"
    escaped = line.translate(_ESCAPES)
    return _AUTOLINK.sub(_break_autolink, escaped)


def row(cells: Iterable[str]) -> str:
    """One table row of cells already made inert."""
    return "| " + " | ".join(cells) + " |"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table: the header, its rule, the rows."""
    return [row(header), row("---" for _ in header), *(row(r) for r in rows)]
