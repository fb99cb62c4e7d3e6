"""Close matches for names people mistype ("did you mean ...?")."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or ``(known: a, b, c)``: the tail of an "unknown X" message."""
    import difflib  # only on the error path

    options = sorted(set(choices))
    close = difflib.get_close_matches(value, options, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f" (known: {shown})" if options else ""
