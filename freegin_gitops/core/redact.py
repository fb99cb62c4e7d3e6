"""Keeping secrets out of text quoted from outside: scrub first, then cut.

Providers and git echo what they were sent (an API key in an error message, a token in a remote
URL). Everything quoted from them into an error, a ``--json`` document, a ``--debug`` traceback, a
pull request body or a usage row goes through :func:`excerpt` or :func:`scrub` here. Scrubbing
comes before any cut, and a cut that could split a secret masks the part left before it: cutting
first is how the tail of a key once reached a pull request body.

A secret is masked whole, and so is any piece of it of :data:`MIN_FRAGMENT` or more characters
(a provider that echoes half a key leaks that half otherwise). Pure functions; the serve gateway
uses the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

MASK = "***"
MIN_FRAGMENT = 8  # shorter pieces of a key are not masked alone (``sk-``, ``gsk_`` prefixes)
_MIN_SECRET = 8  # shorter values are not treated as secrets (they would mask common words)

# Names of environment variables whose values are secrets wherever they turn up.
_SECRET_VARIABLE = re.compile(r"(?:^|_)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$")
# Query parameters that carry credentials in URLs (``?key=...`` is how Gemini's native API
# takes its key, ``?sig=`` signs Azure URLs).
SECRET_QUERY_NAMES = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "token",
        "access_token",
        "auth",
        "authorization",
        "secret",
        "client_secret",
        "password",
        "sig",
        "signature",
        "code",
    }
)
# The user information after any ``://``: anchored on the ``://`` itself, so scanning is linear
# (a scheme pattern in front was tried at every word start: quadratic on ``a.a.a...``).
_USERINFO = re.compile(r"(?<=://)[^/\s@]*@")


def environment_secrets(environ: Mapping[str, str]) -> list[str]:
    """Values of the variables of ``environ`` that hold secrets (``*_KEY``, ``*_TOKEN``, ...)."""
    return [
        value
        for name, value in environ.items()
        if _SECRET_VARIABLE.search(name.upper()) and len(value) >= _MIN_SECRET
    ]


def _masked_spans(text: str, secret: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = text.find(secret)
    while start != -1:
        spans.append((start, start + len(secret)))
        start = text.find(secret, start + 1)
    if len(secret) > MIN_FRAGMENT:
        # Every piece of MIN_FRAGMENT characters: overlapping pieces merge into the whole run.
        for i in range(len(secret) - MIN_FRAGMENT + 1):
            piece = secret[i : i + MIN_FRAGMENT]
            start = text.find(piece)
            while start != -1:
                spans.append((start, start + MIN_FRAGMENT))
                start = text.find(piece, start + 1)
    return spans


def _cut_tail(text: str, secrets: Sequence[str]) -> int:
    """Where ``text`` must end so that it does not end with the start of a secret (it is about
    to be cut there: the rest of the secret is in the part left out)."""
    end = len(text)
    for secret in secrets:
        for k in range(min(len(secret) - 1, len(text)), 1, -1):
            if text.endswith(secret[:k]):
                end = min(end, len(text) - k)
                break
    return end


def scrub(text: str, secrets: Iterable[str | None], *, cut_after: bool = False) -> str:
    """``text`` with every secret, and every piece of one of :data:`MIN_FRAGMENT` or more
    characters, replaced by ``***``. With ``cut_after`` (``text`` is the start of something
    longer), a start of a secret at its very end is masked too."""
    usable = sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True)
    if not usable or not text:
        return text
    spans = [span for secret in usable for span in _masked_spans(text, secret)]
    if cut_after:
        end = _cut_tail(text, usable)
        if end < len(text):
            spans.append((end, len(text)))
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    position = 0
    current_start, current_end = spans[0]
    for start, end in spans[1:]:
        if start <= current_end:
            current_end = max(current_end, end)
            continue
        out += [text[position:current_start], MASK]
        position = current_end
        current_start, current_end = start, end
    out += [text[position:current_start], MASK, text[current_end:]]
    return "".join(out)


def excerpt(text: str, secrets: Iterable[str | None], limit: int) -> str:
    """A short, one-line, scrubbed quotation of ``text``: at most ``limit`` characters, then
    ``...``. Works on a bounded window, so a megabyte of error text costs no more than a line."""
    secrets = list(secrets)
    window = text[: 8 * limit + 4096]
    flat = " ".join(window.split())
    clean = scrub(flat, secrets, cut_after=len(window) < len(text))
    if len(clean) <= limit and len(window) == len(text):
        return clean
    clean = scrub(clean[:limit], secrets, cut_after=True)
    return clean + "..."


def scrub_url(url: str) -> str:
    """``url`` for showing: no user name or password, secret query values masked."""
    url = _USERINFO.sub(f"{MASK}@", url)
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    parts = []
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        parts.append(f"{name}{sep}{MASK}" if sep and name.lower() in SECRET_QUERY_NAMES and value else item)
    return f"{base}?{'&'.join(parts)}"


def scrub_urls(text: str) -> str:
    """``text`` with the credentials of every URL in it masked (git quotes remote URLs)."""
    return _USERINFO.sub(f"{MASK}@", text)


def url_credentials(url: str) -> str | None:
    """What in ``url`` is a credential (a user name or password, a secret query parameter), as
    a phrase for a sentence; None when it carries none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "@" in parts.netloc:
        return "a user name or password"
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    secret = [n for n in names if n.lower() in SECRET_QUERY_NAMES]
    if secret:
        return f"the query parameter {secret[0]!r}"
    return None
