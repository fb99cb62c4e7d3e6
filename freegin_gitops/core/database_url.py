"""``--db`` as a PostgreSQL URL: recognising one, showing it without its password, and the
secrets to mask in any text that might quote it (a driver's error echoes what it was given).

Pure string work: the store that connects is :mod:`freegin_gitops.adapters.usage_pg`.

The user part is read as libpq reads it, and wider where a password is written unencoded:
it ends at the last ``@`` before the first ``/`` or ``?`` that follows an ``@`` (libpq stops
at the first ``@``; a password holding ``@``, ``/``, ``?``, ``:`` or ``#`` is masked whole
either way), unless the user name would hold a ``/`` or ``?``: that ``@`` is in the database
name or the query. The query starts at the first ``?`` after the user part.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote

from freegin_gitops.core.redact import MASK

SCHEMES = ("postgresql://", "postgres://")
# Query parameters of a libpq URL whose values are secrets.
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


class _Parts(NamedTuple):
    scheme: str  # "postgresql://", as written
    userinfo: str | None  # "user:password", as written; None without an "@"
    location: str  # host[:port][,host...][/dbname]
    query: str  # after the "?", as written


def is_postgres_url(text: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database rather than a SQLite file."""
    return text.lower().startswith(SCHEMES)


def _split(url: str) -> _Parts:
    cut = url.find("://")
    scheme, rest = (url[: cut + 3], url[cut + 3 :]) if cut >= 0 else ("", url)
    userinfo = None
    first = rest.find("@")
    if first >= 0:
        stops = [i for i in (rest.find("/", first), rest.find("?", first)) if i >= 0]
        end = rest.rfind("@", 0, min(stops) if stops else len(rest))
        if not any(c in rest[:end].split(":", 1)[0] for c in "/?"):  # else an "@" of the path or query
            userinfo, rest = rest[:end], rest[end + 1 :]
    location, _, query = rest.partition("?")
    return _Parts(scheme, userinfo, location, query)


def _parameters(query: str) -> list[tuple[str, str, str]]:
    """(name, "=" or "", value) of each query parameter, as written (libpq decodes ``%XX`` only)."""
    return [item.partition("=") for item in query.split("&") if item]


def _secret_name(name: str) -> bool:
    return unquote(name).lower() in SECRET_PARAMETERS


def url_secrets(url: str) -> list[str]:
    """The password(s) in ``url``, as written and percent-decoded, longest first: what must not
    be shown."""
    parts = _split(url)
    found: list[str] = []
    if parts.userinfo is not None and ":" in parts.userinfo:
        found.append(parts.userinfo.split(":", 1)[1])
    found += [value for name, sep, value in _parameters(parts.query) if sep and _secret_name(name)]
    return sorted({s for raw in found for s in (raw, unquote(raw)) if s}, key=lambda s: (-len(s), s))


def shown_url(url: str) -> str:
    """``url`` for messages: the password (in the user part or a ``password=`` parameter)
    replaced by ``***``; the user, host, port, database and other parameters kept."""
    parts = _split(url)
    shown = parts.scheme
    if parts.userinfo is not None:
        user, colon, _ = parts.userinfo.partition(":")
        shown += f"{user}{':' + MASK if colon else ''}@"
    shown += parts.location
    if parts.query:
        shown += "?" + "&".join(
            f"{name}{sep}{MASK if sep and value and _secret_name(name) else value}"
            for name, sep, value in _parameters(parts.query)
        )
    return shown
