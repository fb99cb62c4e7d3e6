"""What the usage store holds, as plain data: one attempt, the figures of a provider x model x
workload, the requests and tokens counted in a budget window, a cool-down, a rate-limit header
value a provider sent.

Timestamps cross this boundary in two forms: rows carry ISO 8601 UTC text (``ts``, as the
``provider_usage`` table stores it), windows and cool-downs carry epoch seconds (what the clock and
the budget arithmetic use). :func:`iso_utc` and :func:`epoch_of` convert, and :func:`canonical_ts`
puts any accepted spelling into the one form whose text order is time order.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

UsageKey = tuple[str, str, str]  # (provider, model, workload)

NOT_REACHED_KINDS = frozenset({"connect"})
"""Error kinds of attempts that never reached the provider (no connection was made). Every
other attempt counts against a budget: an answer, any HTTP status, a timeout after sending."""


def reached_provider(success: bool, error_kind: str | None) -> bool:
    """Whether an attempt counts against the provider's budgets."""
    return success or error_kind not in NOT_REACHED_KINDS


@dataclass(frozen=True, slots=True)
class RateLimitValue:
    """One ``x-ratelimit-limit-<name>`` / ``x-ratelimit-remaining-<name>`` pair a provider sent.

    ``name`` is the header's suffix (``requests``, ``tokens``, ``requests-day``,
    ``tokens-minute``), or ``""`` for the bare ``X-RateLimit-Limit`` / ``-Remaining``.
    """

    name: str
    limit: int | None = None
    remaining: int | None = None

    @property
    def header(self) -> str:
        return "x-ratelimit-limit" + (f"-{self.name}" if self.name else "")


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One attempt at a provider, as recorded."""

    provider: str
    model: str
    workload: str
    latency_ms: float
    success: bool
    error_kind: str | None = None
    status_code: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    ts: str | None = None  # ISO 8601 UTC; the store's now when None
    rate_limits: tuple[RateLimitValue, ...] = ()  # the x-ratelimit-* values of the answer

    @property
    def reached(self) -> bool:
        return reached_provider(self.success, self.error_kind)

    @property
    def tokens(self) -> int:
        """Tokens the attempt spent, as far as the provider said (0 when it did not)."""
        if self.total_tokens is not None:
            return self.total_tokens
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


@dataclass(frozen=True, slots=True)
class UsageStats:
    calls: int
    successes: int
    mean_latency_ms: float | None
    p95_latency_ms: float | None
    last_used: str | None  # ISO 8601 UTC

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.calls if self.calls else None


@dataclass(frozen=True, slots=True)
class WindowQuery:
    """Count what reached ``provider`` (``model``, or every model of it when None) at or after
    ``since_epoch``."""

    provider: str
    model: str | None
    since_epoch: float


@dataclass(frozen=True, slots=True)
class WindowUsage:
    """Requests and tokens counted in a window, and when the oldest counted request was made, or
    an upper bound of it no later than the end of its minute (a rolling window frees up once it
    has aged out); None when nothing was counted."""

    requests: int = 0
    tokens: int = 0
    oldest_epoch: float | None = None


@dataclass(frozen=True, slots=True)
class Cooldown:
    """Do not call ``provider`` (only ``model`` of it, or every model when None) before
    ``until_epoch``."""

    provider: str
    model: str | None
    until_epoch: float
    reason: str

    def covers(self, provider: str, model: str) -> bool:
        return self.provider == provider and (self.model is None or self.model == model)


@dataclass(frozen=True, slots=True)
class RateLimitSeen:
    """The latest value of one rate-limit header pair seen for a provider's model."""

    provider: str
    model: str
    value: RateLimitValue
    ts: str  # ISO 8601 UTC, when it was seen


def iso_utc(epoch: float) -> str:
    """``epoch`` as the store writes timestamps: ``2026-11-25T10:00:00.000Z``; what
    ``datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")`` gives (the same
    rounding to microseconds), with the date and time of day of a second written once (the
    gateway stamps every row and log line)."""
    fraction, whole = math.modf(epoch)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    elif micro < 0:
        whole, micro = whole - 1, micro + 1_000_000
    return f"{_second_text(int(whole))}.{micro // 1000:03d}Z"


@functools.lru_cache(maxsize=2)  # this second and the last one: a batch can straddle a second
def _second_text(second: int) -> str:
    """The date and time of day of a whole second since the epoch, in UTC: ``2026-11-25T10:00:00``."""
    return dt.datetime.fromtimestamp(second, dt.UTC).isoformat()[:19]


def epoch_of(ts: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp (UTC when it names no offset)."""
    stamp = dt.datetime.fromisoformat(ts.replace("z", "Z").replace("t", "T"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def canonical_ts(ts: str) -> str:
    """``ts`` in the store's one spelling, so that comparing the text compares the times;
    ValueError when it is not a timestamp."""
    epoch = epoch_of(ts)
    if not math.isfinite(epoch):
        raise ValueError(f"{ts!r} is not a timestamp")
    return iso_utc(epoch)
