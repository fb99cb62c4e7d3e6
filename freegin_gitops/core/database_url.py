"""``--db`` as a PostgreSQL URL: recognising one, showing it without its password, and the
secrets to mask in any text that might quote it (a driver's error echoes what it was given).

Pure string work: the store that connects is :mod:`freegin_gitops.adapters.usage_pg`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from freegin_gitops.core.redact import MASK

SCHEMES = ("postgresql://", "postgres://")
# Query parameters of a libpq URL whose values are secrets.
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
# Up to the last "@" before the query: a password with an unencoded "@" or "/" is still masked.
_USERINFO = re.compile(r"^([a-z]+://)(.*)@", re.IGNORECASE)


def is_postgres_url(text: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database rather than a SQLite file."""
    return text.lower().startswith(SCHEMES)


def _parameters(url: str) -> list[tuple[str, str, str]]:
    """(name, "=" or "", value) of each query parameter, as written (libpq decodes ``%XX`` only)."""
    query = url.partition("?")[2].split("#", 1)[0]
    return [item.partition("=") for item in query.split("&") if item] if query else []


def _secret_name(name: str) -> bool:
    return unquote(name).lower() in SECRET_PARAMETERS


def url_secrets(url: str) -> list[str]:
    """The password(s) in ``url``, as written and percent-decoded: what must not be shown."""
    found: list[str] = []
    match = _USERINFO.match(url.split("?", 1)[0])
    if match and ":" in match.group(2):
        found.append(match.group(2).split(":", 1)[1])
    found += [value for name, sep, value in _parameters(url) if sep and _secret_name(name)]
    return sorted({s for raw in found for s in (raw, unquote(raw)) if s}, key=len, reverse=True)


def shown_url(url: str) -> str:
    """``url`` for messages: the password (in the user part or a ``password=`` parameter)
    replaced by ``***``; the user, host, port, database and other parameters kept."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    match = _USERINFO.match(base)
    if match:
        user, colon, _ = match.group(2).partition(":")
        base = f"{match.group(1)}{user}{':' + MASK if colon else ''}@{base[match.end() :]}"
    shown = [
        f"{name}{sep}{MASK if sep and value and _secret_name(name) else value}"
        for name, sep, value in _parameters(url)
    ]
    return base + ("?" + "&".join(shown) if shown else "")
