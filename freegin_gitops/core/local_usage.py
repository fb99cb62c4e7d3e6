"""What one gateway knows of budget usage without asking the shared database.

A gateway counts budgets in the shared usage store before each call. Two things are missing from
what the store says, and one thing replaces it when the store cannot be reached:

- its own attempts not stored yet (queued for the usage writer, or being written) and its own
  calls in flight: added to the store's counts, so one process never overshoots a budget;
- when the store is unreachable, an estimate from memory: for each window, the last count the
  store gave for a window that covers it, plus this process's own attempts since that count was
  taken (or, with no such count, its own attempts alone). That bound is exact for this process
  and misses only what other processes do while the store is away.

:class:`LocalUsage` keeps this process's attempts per minute (the last
:data:`HORIZON_S` seconds: a day window and its margin) and the last few counts per provider
and model; :class:`MinuteCounts` counts attempts per minute (also those waiting to be stored);
:class:`InFlight` the calls under way. Pure: the time is passed in, nothing is read or written.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from dataclasses import dataclass

from freegin_gitops.core.usage import WindowQuery, WindowUsage

HORIZON_S = 25 * 3600.0
RECENT_S = 600.0  # own attempts kept one by one, for exact counts since a recent store count
REMEMBERED = 8  # counts kept per provider and model scope


@dataclass(frozen=True, slots=True)
class _Count:
    since: float
    at: float
    usage: WindowUsage


def _scope(provider: str, model: str | None) -> tuple[str, str]:
    return (provider, model if model is not None else "")


def plus(usage: WindowUsage, requests: int, tokens: int, oldest: float | None = None) -> WindowUsage:
    """``usage`` with more requests and tokens counted (``oldest``: when the earliest of them was
    made, if known)."""
    if not requests and not tokens:
        return usage
    found = [e for e in (usage.oldest_epoch, oldest) if e is not None]
    return WindowUsage(usage.requests + requests, usage.tokens + tokens, min(found) if found else None)


class MinuteCounts:
    """Requests and tokens per minute, per provider x model and per provider as a whole."""

    def __init__(self) -> None:
        # (provider, model or '' for the whole provider) -> minute -> [requests, tokens]
        self._minutes: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)

    def add(self, provider: str, model: str, epoch: float, tokens: int, sign: int = 1) -> None:
        """Count one attempt made at ``epoch`` (``sign`` -1: take one counted before away)."""
        minute = math.floor(epoch / 60)
        for scope in ((provider, model), (provider, "")):
            buckets = self._minutes[scope]
            bucket = buckets.setdefault(minute, [0, 0])
            bucket[0] += sign
            bucket[1] += sign * tokens
            if bucket[0] <= 0:
                del buckets[minute]
                if not buckets:
                    del self._minutes[scope]

    def forget_before(self, minute: int) -> None:
        for scope in list(self._minutes):
            buckets = self._minutes[scope]
            for old in [m for m in buckets if m < minute]:
                del buckets[old]
            if not buckets:
                del self._minutes[scope]

    def count(self, query: WindowQuery) -> WindowUsage:
        """The attempts in the window, by whole minutes: the minute the window starts in counts
        whole, so the answer never falls short."""
        first = math.floor(query.since_epoch / 60)
        buckets = self._minutes.get(_scope(query.provider, query.model), {})
        found = [(m, b) for m, b in buckets.items() if m >= first]
        if not found:
            return WindowUsage()
        return WindowUsage(
            sum(b[0] for _, b in found),
            sum(b[1] for _, b in found),
            (min(m for m, _ in found) + 1) * 60.0,
        )


class LocalUsage:
    """This process's own attempts (exactly for the last :data:`RECENT_S` seconds, per minute
    before), and the store's last counts."""

    def __init__(self) -> None:
        self._own = MinuteCounts()
        self._recent: deque[tuple[float, str, str, int]] = deque()  # (epoch, provider, model, tokens)
        self._counts: dict[tuple[str, str], list[_Count]] = defaultdict(list)
        self._latest_minute = 0
        self._latest = 0.0

    def add(self, provider: str, model: str, epoch: float, tokens: int) -> None:
        """An attempt of this process that reached the provider at ``epoch``."""
        self._own.add(provider, model, epoch, tokens)
        self._recent.append((epoch, provider, model, tokens))
        self._latest = max(self._latest, epoch)
        while self._recent and self._recent[0][0] < self._latest - RECENT_S:
            self._recent.popleft()
        minute = math.floor(epoch / 60)
        if minute > self._latest_minute:
            self._latest_minute = minute
            self._own.forget_before(minute - math.ceil(HORIZON_S / 60))

    def own(self, query: WindowQuery) -> WindowUsage:
        """This process's attempts in the window: exactly when it starts within the last
        :data:`RECENT_S` seconds, else by whole minutes (see :class:`MinuteCounts`)."""
        if query.since_epoch < self._latest - RECENT_S:
            return self._own.count(query)
        found = [
            (epoch, tokens)
            for epoch, provider, model, tokens in self._recent
            if epoch >= query.since_epoch and provider == query.provider and query.model in (None, model)
        ]
        if not found:
            return WindowUsage()
        return WindowUsage(len(found), sum(t for _, t in found), min(e for e, _ in found))

    def remember(self, query: WindowQuery, usage: WindowUsage, at: float) -> None:
        """What the store counted for ``query`` at ``at``."""
        kept = self._counts[_scope(query.provider, query.model)]
        kept[:] = [c for c in kept if c.since != query.since_epoch][-(REMEMBERED - 1) :]
        kept.append(_Count(query.since_epoch, at, usage))

    def estimate(self, query: WindowQuery) -> WindowUsage:
        """The window's usage without the store: the smallest of the bounds that the counts
        remembered give (a count from ``since_old <= since`` taken at ``at >= since`` covers the
        window up to ``at``; this process's attempts from then on are added), else this
        process's own attempts."""
        bounds = []
        for count in self._counts.get(_scope(query.provider, query.model), []):
            if count.since <= query.since_epoch <= count.at:
                then = self.own(WindowQuery(query.provider, query.model, count.at))
                bounds.append(plus(count.usage, then.requests, then.tokens, then.oldest_epoch))
        if not bounds:
            return self.own(query)
        return min(bounds, key=lambda u: (u.requests, u.tokens))


class InFlight:
    """Calls of this process that have started and whose attempt is not recorded yet, per
    provider and model: each counts as one request in every window of its scopes."""

    def __init__(self) -> None:
        self._calls: Counter[tuple[str, str]] = Counter()

    def start(self, provider: str, model: str) -> None:
        self._calls[(provider, model)] += 1
        self._calls[(provider, "")] += 1

    def end(self, provider: str, model: str) -> None:
        for scope in ((provider, model), (provider, "")):
            self._calls[scope] -= 1
            if self._calls[scope] <= 0:
                del self._calls[scope]

    def requests(self, query: WindowQuery) -> int:
        return self._calls.get(_scope(query.provider, query.model), 0)
