"""Free-tier budgets of a candidate: its limits, the windows to count, and what is left.

A candidate has the limits of its model (``models[].limits``, that model's own) and of its
provider (``limits``, the key's, shared by every model of the provider); both apply. A model's
``day_resets`` defaults to its provider's. The router asks the usage store for the requests and
tokens counted in each window (:meth:`BudgetPlan.queries`), turns the counts into a
:class:`BudgetState` (:meth:`BudgetPlan.state`), and skips a candidate whose state is spent. A
budget is spent when what was used reaches the limit: the next call's tokens are not known
before it is made, so a token budget is spent only once it is used up. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from freegin_gitops.core.budget_windows import (
    DAY_RESETS,
    DEFAULT_DAY_RESETS,
    PERIODS,
    DayResets,
    Period,
    Window,
    clock_time,
    window,
)
from freegin_gitops.core.catalog import Provider
from freegin_gitops.core.usage import WindowQuery, WindowUsage

Kind = Literal["requests", "tokens"]
Scope = Literal["model", "provider"]
KINDS: tuple[Kind, ...] = ("requests", "tokens")
LIMIT_KEYS: dict[tuple[Kind, Period], str] = {
    (kind, period): f"{kind}_per_{period}" for kind in KINDS for period in PERIODS
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The counted limits of one scope: ``caps`` maps (kind, period) to the limit."""

    caps: Mapping[tuple[Kind, Period], int]
    day_resets: DayResets = DEFAULT_DAY_RESETS

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, Any] | None, inherited_day_resets: DayResets = DEFAULT_DAY_RESETS
    ) -> Limits:
        """The limits of a catalog ``limits`` block (keys it does not count are ignored)."""
        raw = raw or {}
        caps = {
            key: int(raw[name])
            for key, name in LIMIT_KEYS.items()
            if isinstance(raw.get(name), int | float) and not isinstance(raw.get(name), bool)
        }
        resets = raw.get("day_resets")
        day_resets: DayResets = resets if resets in DAY_RESETS else inherited_day_resets
        return cls(caps, day_resets)

    @property
    def declared(self) -> bool:
        return bool(self.caps)

    def periods(self) -> list[Period]:
        return [p for p in PERIODS if any(period == p for _, period in self.caps)]


NO_LIMITS = Limits({})


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit of a candidate and what its current window has used of it."""

    scope: Scope
    provider: str
    kind: Kind
    window: Window
    limit: int
    used: int
    frees_at: float | None  # when a spent budget has room again (None: not known)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def spent(self) -> bool:
        return self.used >= self.limit

    def _when(self) -> str:
        if self.window.period == "day":
            return "in the last 24 hours" if self.window.rolling else "today"
        return f"in the last {self.window.period}"

    def _whose(self) -> str:
        return f" for all {self.provider} models" if self.scope == "provider" else ""

    def headroom(self) -> str:
        """``2 of 3 requests left today``."""
        return f"{self.remaining:,} of {self.limit:,} {self.kind} left {self._when()}{self._whose()}"

    def spent_reason(self) -> str:
        """``budget spent: 1000/1000 requests today, resets 00:00 UTC``."""
        text = f"budget spent: {self.used:,}/{self.limit:,} {self.kind} {self._when()}{self._whose()}"
        if self.frees_at is None:
            return text
        verb = "frees up at" if self.window.rolling else "resets"
        return f"{text}, {verb} {clock_time(self.frees_at, self.window.day_resets)}"

    def as_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "kind": self.kind,
            "period": self.window.period,
            "day_resets": self.window.day_resets if self.window.period == "day" else None,
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "spent": self.spent,
            "resets_at": _iso(self.frees_at) if self.spent and self.frees_at is not None else None,
        }


@dataclass(frozen=True, slots=True)
class BudgetState:
    """Every budget of one candidate, model's first."""

    budgets: tuple[Budget, ...]

    @property
    def spent(self) -> Budget | None:
        """The spent budget that frees up last (the candidate is usable again after it)."""
        spent = [b for b in self.budgets if b.spent]
        if not spent:
            return None
        return max(spent, key=lambda b: float("inf") if b.frees_at is None else b.frees_at)

    @property
    def tightest(self) -> Budget | None:
        """The budget with the smallest share left."""
        if not self.budgets:
            return None
        return min(self.budgets, key=lambda b: (b.remaining / b.limit, b.remaining))

    def skip_reason(self) -> str | None:
        spent = self.spent
        return spent.spent_reason() if spent is not None else None

    def as_json(self) -> list[dict[str, object]]:
        return [b.as_json() for b in self.budgets]


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    """The windows to count for one candidate now, and how to read the counts."""

    provider: str
    model: str
    parts: tuple[tuple[Scope, Limits, Window, WindowQuery], ...]

    def queries(self) -> list[WindowQuery]:
        return [query for *_, query in self.parts]

    def state(self, usages: Sequence[WindowUsage]) -> BudgetState:
        """The state from the counts of :meth:`queries`, in that order."""
        budgets = []
        for (scope, limits, win, _), usage in zip(self.parts, usages, strict=True):
            for (kind, period), limit in limits.caps.items():
                if period != win.period:
                    continue
                used = usage.requests if kind == "requests" else usage.tokens
                budgets.append(
                    Budget(scope, self.provider, kind, win, limit, used, win.frees_at(usage.oldest_epoch))
                )
        return BudgetState(tuple(budgets))


def plan_budget(
    provider: str, model: str, model_limits: Limits, provider_limits: Limits, now: float
) -> BudgetPlan:
    """The windows of ``provider``/``model``'s limits at ``now`` (none when it has no limits)."""
    parts: list[tuple[Scope, Limits, Window, WindowQuery]] = []
    scopes: tuple[tuple[Scope, Limits, str | None], ...] = (
        ("model", model_limits, model),
        ("provider", provider_limits, None),
    )
    for scope, limits, which in scopes:
        for period in limits.periods():
            win = window(period, now, limits.day_resets)
            parts.append((scope, limits, win, WindowQuery(provider, which, win.start)))
    return BudgetPlan(provider, model, tuple(parts))


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cooldown_scope(model_limits: Limits, provider_limits: Limits) -> Scope:
    """What a 429 cools down: the model, unless only the provider declares limits (then the
    key's shared budget is what ran out)."""
    return "provider" if provider_limits.declared and not model_limits.declared else "model"


def budget_json(state: BudgetState | None) -> dict[str, object] | None:
    """A candidate's budgets as ``route --json``, ``ask --json``, ``list-models --json`` and the
    gateway's status show them: whether one is spent (and why, with its reset), and each limit
    with what is used and left; None when the candidate has no limits (or nothing counts them)."""
    if state is None:
        return None
    spent = state.spent
    return {
        "spent": spent is not None,
        "reason": spent.spent_reason() if spent is not None else None,
        "limits": state.as_json(),
    }


def budget_cell(state: BudgetState | None) -> str:
    """The budget column of a table: the spent budget's reason, or the tightest one's headroom."""
    if state is None or not state.budgets:
        return ""
    spent = state.spent
    if spent is not None:
        return spent.spent_reason()
    tightest = state.tightest
    return tightest.headroom() if tightest is not None else ""


def provider_limits(provider: Provider, model: str) -> tuple[Limits, Limits]:
    """A model's own limits and its provider's, as the catalog states them (for listings; the
    router reads the compiled catalog's)."""
    shared = Limits.from_mapping(provider.limits)
    entry = provider.model(model)
    if entry is None or not entry.limits:
        return NO_LIMITS, shared
    return Limits.from_mapping(entry.limits, shared.day_resets), shared
