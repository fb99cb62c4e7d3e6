"""What a model id may hold, and when two ids only look alike.

Model ids come from people's files and from LLM answers, and end up in commit messages, branch
commits, YAML and pull request bodies. One with a NUL byte crashes ``git commit-tree``; one with a
zero-width space or a Cyrillic ``а`` in ``llаma`` looks exactly like another and slips through
review. So an id is printable text with no whitespace, control, invisible, private-use, unassigned
or surrogate character, in one script (Latin mixed with Cyrillic or Greek is refused); and two ids
whose :func:`skeleton` is the same are reported as a likely duplicate.
"""

from __future__ import annotations

import unicodedata

# Scripts whose letters are drawn like Latin ones.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Cyrillic and Greek letters drawn like Latin ones (after NFKC), as Unicode's confusables list them.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "ɡ": "g", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "χ": "x", "υ": "u",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
        "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip


def describe(ch: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: a character as a reader can name it."""
    name = unicodedata.name(ch, "") if not 0xD800 <= ord(ch) <= 0xDFFF else "SURROGATE"
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def id_problem(text: str) -> str | None:
    """Why ``text`` cannot be a model id, as the end of a sentence ("holds ..."), or None."""
    if not text:
        return "is empty"
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace():
            return f"holds whitespace ({describe(ch)})"
        if category == "Cc":
            return f"holds a control character ({describe(ch)})"
        if category == "Cs":
            return f"holds a lone surrogate ({describe(ch)}), which is not text"
        if category == "Cf":
            return f"holds an invisible character ({describe(ch)})"
        if category in ("Co", "Cn"):
            return f"holds a private-use or unassigned character ({describe(ch)})"
    scripts = {s for s in map(_script, text) if s in _CONFUSABLE_SCRIPTS}
    if len(scripts) > 1:
        shown = " and ".join(sorted(s.title() for s in scripts))
        return f"mixes {shown} letters, so it looks like an id it is not"
    return None


def skeleton(text: str) -> str:
    """What ``text`` looks like: compatibility-normalised, look-alike letters mapped to Latin,
    invisible characters dropped. Two different ids with one skeleton are easily confused."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def shown(text: str) -> str:
    """``text`` quoted for a message; escaped (``'a\\x00b'``, ``'ll\\u0430ma'``) when it could
    not be told apart from another id otherwise."""
    return repr(text) if text.isprintable() and id_problem(text) is None else ascii(text)
