"""Reading what a provider says about its rate limits: how long a 429 asks us to wait, whether
it means the day's quota is spent, and the ``x-ratelimit-limit-*`` / ``-remaining-*`` values an
answer carries.

Providers say it in many ways; each is read, none is trusted blindly:

- ``Retry-After``: delta-seconds or an HTTP date (RFC 9110);
- ``x-ratelimit-reset-requests`` / ``-tokens`` (OpenAI, Groq): Go-style durations such as
  ``2m59.56s``, ``7.66s``, ``1h2m`` or ``120ms``; Cerebras' ``-requests-day`` / ``-tokens-minute``
  give plain seconds. When a ``-remaining-`` header says which budget is at zero, its reset is
  the one that counts; otherwise the longest;
- ``X-RateLimit-Reset`` (OpenRouter, also inside its error body's ``metadata.headers``): epoch
  seconds or milliseconds (a small number is taken as seconds from now);
- the body: Gemini's ``RetryInfo.retryDelay`` and ``QuotaFailure`` quota ids, a "try again in 5s"
  in the message.

A 429 means the day's quota is spent when a Gemini quota id names a day (``...PerDay...``; the
per-minute ids also end in ``-FreeTier``, so that suffix alone says nothing), when OpenRouter's
message names its daily free limit (``free-models-per-day``), or when the message speaks of
requests or tokens per day (Groq's "on requests per day (RPD)"). Values that are not finite
numbers, negative, or absurdly long are ignored. Pure: the time is passed in.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from freegin_gitops.core.usage import RateLimitValue

MAX_HEADER_CHARS = 64
MAX_BODY_BYTES = 64 * 1024  # a 429's body is read for hints only up to this size
MAX_NAMES = 16  # rate-limit header pairs kept from one answer
MAX_ITEMS = 32  # list items looked at in an error body

_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_DURATION = re.compile(
    r"^(?:(?P<h>[0-9]+(?:\.[0-9]+)?)h)?(?:(?P<m>[0-9]+(?:\.[0-9]+)?)m(?!s))?"
    r"(?:(?P<s>[0-9]+(?:\.[0-9]+)?)s)?(?:(?P<ms>[0-9]+(?:\.[0-9]+)?)ms)?$"
)
_SUFFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_RETRY_IN = re.compile(r"(?:try again|retry) in ([0-9][0-9hms.]{0,30})", re.IGNORECASE)
_DAILY_TEXT = re.compile(r"per[- ]?day|daily|\bRPD\b|\bTPD\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RateLimitReply:
    """What a 429 said: seconds to wait (None if it did not say), where that came from (for
    the reason shown, e.g. ``x-ratelimit-reset-requests 2m59.56s``), and whether the day's
    quota is spent."""

    wait_s: float | None = None
    basis: str | None = None
    daily: bool = False


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def parse_duration(text: str | None) -> float | None:
    """Seconds in ``2m59.56s``, ``7.66s``, ``1h2m``, ``120ms`` or a plain ``7.66``; None when the
    text is none of these."""
    if not text:
        return None
    text = text.strip().lower()
    if not text or len(text) > MAX_HEADER_CHARS:
        return None
    if _NUMBER.match(text):
        return _finite(float(text))
    found = _DURATION.match(text)
    if found is None or not any(found.groups()):
        return None
    h, m, s, ms = (float(found.group(k) or 0) for k in ("h", "m", "s", "ms"))
    return _finite(h * 3600 + m * 60 + s + ms / 1000)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None when
    it is neither (``inf`` and ``nan`` included: a provider cannot cool itself down for ever)."""
    if not value or len(value) > MAX_HEADER_CHARS:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        return None
    return max(0.0, when.timestamp() - now)


def reset_seconds(value: str | None, now: float) -> float | None:
    """Seconds until an ``X-RateLimit-Reset`` time: epoch milliseconds (OpenRouter), epoch seconds,
    or, for a number too small to be either, seconds from now."""
    if not value or len(value) > MAX_HEADER_CHARS:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    if number >= 1e11:
        return max(0.0, number / 1000 - now)
    if number >= 1e8:
        return max(0.0, number - now)
    return number


def _lower(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {str(k).lower(): str(v) for k, v in items}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and other scripts' digits
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def rate_limit_values(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[RateLimitValue, ...]:
    """The ``x-ratelimit-limit-<name>`` / ``-remaining-<name>`` pairs of an answer (and the bare
    ``X-RateLimit-Limit`` / ``-Remaining``), at most :data:`MAX_NAMES`, sorted by name."""
    found: dict[str, list[int | None]] = {}
    for name, value in _lower(headers).items():
        for which, prefix in ((0, "x-ratelimit-limit"), (1, "x-ratelimit-remaining")):
            if name != prefix and not name.startswith(prefix + "-"):
                continue
            suffix = name[len(prefix) + 1 :]
            number = _int(value)
            if (suffix and not _SUFFIX.match(suffix)) or number is None:
                continue
            if suffix not in found and len(found) >= MAX_NAMES:
                continue
            found.setdefault(suffix, [None, None])[which] = number
    return tuple(RateLimitValue(n, limit, left) for n, (limit, left) in sorted(found.items()))


def _error_body(content: bytes) -> dict[str, Any]:
    """The ``error`` object of a 429's JSON body (Gemini's OpenAI endpoint wraps it in a list)."""
    if not content or len(content) > MAX_BODY_BYTES:
        return {}
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return {}
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return {}
    err = body.get("error", body)
    return err if isinstance(err, dict) else {}


def _items(value: Any) -> list[Any]:
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _reset_headers(headers: Mapping[str, str]) -> tuple[float, str] | None:
    """The wait from ``x-ratelimit-reset-*``: the reset of a budget at zero, else the longest."""
    resets: list[tuple[float, str, bool]] = []
    for name, value in headers.items():
        if not name.startswith("x-ratelimit-reset-"):
            continue
        suffix = name[len("x-ratelimit-reset-") :]
        wait = parse_duration(value)
        if wait is None or not _SUFFIX.match(suffix):
            continue
        at_zero = headers.get(f"x-ratelimit-remaining-{suffix}", "").strip() == "0"
        resets.append((wait, f"{name} {value.strip()}", at_zero))
    if not resets:
        return None
    spent = [r for r in resets if r[2]] or resets
    wait, basis, _ = max(spent)
    return wait, basis


def read_429(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], content: bytes, now: float
) -> RateLimitReply:
    """What a 429 answer (its headers and body) says about when to come back."""
    lower = _lower(headers)
    err = _error_body(content)
    raw_message = err.get("message")
    message = raw_message if isinstance(raw_message, str) else ""
    quota_ids: list[str] = []
    retry_delay: str | None = None
    for detail in _items(err.get("details")):
        if not isinstance(detail, dict):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, str):
            retry_delay = delay
        for violation in _items(detail.get("violations")):
            if isinstance(violation, dict) and isinstance(violation.get("quotaId"), str):
                quota_ids.append(violation["quotaId"])
    raw_metadata = err.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    raw_meta_headers = metadata.get("headers")
    meta_headers: dict[str, Any] = raw_meta_headers if isinstance(raw_meta_headers, dict) else {}
    meta = _lower(
        {str(k): str(v) for k, v in list(meta_headers.items())[:MAX_ITEMS] if isinstance(v, str | int)}
    )
    daily = (
        any("perday" in q.lower() for q in quota_ids)
        or bool(_DAILY_TEXT.search(message[:2000]))
        or "daily" in str(metadata.get("limit_source", "")).lower()
    )

    retry_after = lower.get("retry-after")
    wait = retry_after_seconds(retry_after, now)
    if wait is not None and retry_after is not None:
        return RateLimitReply(wait, f"Retry-After {retry_after.strip()}", daily)
    from_reset = _reset_headers(lower)
    if from_reset is not None:
        return RateLimitReply(from_reset[0], from_reset[1], daily)
    for source in (lower, meta):
        stamp = source.get("x-ratelimit-reset")
        reset = reset_seconds(stamp, now)
        if reset is not None and stamp is not None:
            return RateLimitReply(reset, f"X-RateLimit-Reset {stamp.strip()}", daily)
    delay_s = parse_duration(retry_delay)
    if delay_s is not None:
        return RateLimitReply(delay_s, f"retryDelay {retry_delay}", daily)
    said = _RETRY_IN.search(message[:2000])
    in_text = parse_duration(said.group(1).rstrip(".")) if said else None
    if in_text is not None and said is not None:
        return RateLimitReply(in_text, f"'retry in {said.group(1).rstrip('.')}'", daily)
    return RateLimitReply(None, None, daily)
