"""Writing roff (man(7)) safely: text escapes and the few request shapes the man page uses."""

from __future__ import annotations

import re

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# The start of a word that holds a path, an option, an identifier or a URL (a hyphen, slash,
# underscore or dot followed by more of it): such words get "\%" so groff never hyphenates them.
_TECHNICAL_WORD = re.compile(r"(^|\s)(?=\S*(?:\\-|[/_.@])\w)")


def text(value: str) -> str:
    """Escape ``value`` for a roff text line or macro argument.

    Backslashes become ``\\e``; every hyphen becomes ``\\-`` (the minus sign, so option names,
    command names and model ids copy and paste as typed, as help2man does); characters outside
    ASCII become ``\\[u00E9]``-style escapes so the page renders the same whatever the input encoding. Words
    such as ``catalog/config.yaml`` or ``--repo`` are never hyphenated at a line break.
    """
    escaped = value.replace("\\", "\\e").replace("-", "\\-")
    escaped = _NON_ASCII.sub(lambda m: f"\\[u{ord(m.group()):04X}]", escaped)
    return _TECHNICAL_WORD.sub(r"\1\\%", escaped)


def line(value: str) -> str:
    """One filled text line: escaped, and guarded so that a leading ``.`` or ``'`` is not taken as
    a request and leading spaces do not force a break."""
    escaped = text(value.strip())
    return f"\\&{escaped}" if escaped.startswith((".", "'")) else escaped


def quoted(value: str) -> str:
    """A macro argument in double quotes (a double quote inside is written ``\\(dq``)."""
    return '"' + text(value).replace('"', "\\(dq") + '"'


def bold(value: str) -> str:
    return f"\\fB{text(value)}\\fR"


def italic(value: str) -> str:
    return f"\\fI{text(value)}\\fR"


def example(commands: list[str]) -> list[str]:
    """An indented block of commands, set verbatim in a fixed-width font."""
    return [".RS", ".EX", *(line(c) for c in commands), ".EE", ".RE"]
