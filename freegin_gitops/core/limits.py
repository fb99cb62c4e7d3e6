"""The caps and deadlines that keep hostile input from hanging the tool or filling its memory.

Each has a default and an environment variable (:data:`VARIABLES`), documented in the README and
the man page. Provider calls take their total deadline from the catalog (``routing.timeout_s``,
``api.timeout_s``, ``refresh.timeout_s``); the rest from here. Parsing the environment is pure:
the caller passes the mapping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from freegin_gitops.errors import BadUsage

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what is read and deadlines on what is waited for."""

    max_response_bytes: int = 16 * MIB  # one HTTP answer: chat, model list, GitHub
    max_file_bytes: int = 256 * MIB  # one catalog file (a 57 MB provider file must still load)
    github_timeout_s: float = 60.0  # one GitHub REST exchange, start to end
    git_timeout_s: float = 180.0  # one git command that talks to a remote (ls-remote, fetch, push)
    git_local_timeout_s: float = 60.0  # one git command on the local repository (commit, plumbing)


# variable -> (field, kind, what it bounds): the README and the man page list these.
VARIABLES: Mapping[str, tuple[str, str, str]] = {
    "FREEGIN_MAX_RESPONSE_BYTES": (
        "max_response_bytes",
        "bytes",
        "largest HTTP answer read from a provider or GitHub (default 16MiB)",
    ),
    "FREEGIN_MAX_FILE_BYTES": (
        "max_file_bytes",
        "bytes",
        "largest catalog file read (default 256MiB)",
    ),
    "FREEGIN_GITHUB_TIMEOUT_S": (
        "github_timeout_s",
        "seconds",
        "total deadline of one GitHub API exchange (default 60)",
    ),
    "FREEGIN_GIT_TIMEOUT_S": (
        "git_timeout_s",
        "seconds",
        "total deadline of one git command that talks to a remote: ls-remote, fetch, push (default 180)",
    ),
    "FREEGIN_GIT_LOCAL_TIMEOUT_S": (
        "git_local_timeout_s",
        "seconds",
        "total deadline of one git command on the local repository, such as a commit with its hooks "
        "(default 60)",
    ),
}

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "b": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


def parse_size(text: str) -> int | None:
    """``16777216``, ``16MiB``, ``16M``, ``512k``: a number of bytes, or None if it is not one."""
    match = _SIZE.match(text)
    if match is None:
        return None
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _FACTORS[unit]


def parse_seconds(text: str) -> float | None:
    """A positive, finite number of seconds, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def limits_from(environ: Mapping[str, str]) -> Limits:
    """The limits, with those set in ``environ`` replacing the defaults; :class:`BadUsage`
    (exit 2) names a variable whose value is not a size or a number of seconds."""
    values: dict[str, float | int] = {}
    for variable, (name, kind, _what) in VARIABLES.items():
        raw = environ.get(variable)
        if raw is None or not raw.strip():
            continue
        parsed = parse_size(raw) if kind == "bytes" else parse_seconds(raw)
        if parsed is None or parsed <= 0:
            expected = "a size in bytes such as 16MiB" if kind == "bytes" else "a number of seconds above 0"
            raise BadUsage(f"{variable}={raw!r} is not {expected}")
        values[name] = parsed
    return Limits(**values)  # type: ignore[arg-type]
