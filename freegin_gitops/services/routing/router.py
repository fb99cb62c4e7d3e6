"""The router: plans the candidates of a routed call, calls them in order until one answers, and
records every attempt in the usage database.

The policy is the core's: planning (skip reasons, reachability) in :mod:`~freegin_gitops.core.route_plan`,
the attempt policy (fallback, cool-downs, the failure sentence) in
:mod:`~freegin_gitops.core.route_attempts`. This module calls providers, records usage and keeps
cool-downs. Planning does no network I/O (``route`` uses only that part); httpx is imported on the
first call. API keys are read from the environment when a call is made and go nowhere but the
request header.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from freegin_gitops.core import route_plan
from freegin_gitops.core.budget_windows import day_reset
from freegin_gitops.core.budgets import BudgetState, cooldown_scope, plan_budget
from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog
from freegin_gitops.core.route_attempts import (
    Attempt,
    Cooldown,
    RouteAttempts,
)
from freegin_gitops.core.route_plan import Connection, CooldownKey, Plan
from freegin_gitops.core.usage import Cooldown as StoredCooldown
from freegin_gitops.core.usage import UsageRecord, WindowQuery, WindowUsage, iso_utc
from freegin_gitops.errors import NoCandidateAnswered, ProviderError, UsageStoreError

if TYPE_CHECKING:
    import httpx

    from freegin_gitops.adapters.openai_http import ChatAnswer, OpenAICompatible
    from freegin_gitops.core.usage_store import UsageStore


T = TypeVar("T")


class BudgetCounter(Protocol):
    """What counting budgets needs of a usage store."""

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]: ...


class RoutedAnswer(NamedTuple):
    text: str
    provider: str
    model: str
    workload: str
    latency_ms: float
    attempts: tuple[Attempt, ...]


class Router:
    """Routes calls over a compiled catalog. ``usage`` is where attempts and cool-downs go;
    ``clock`` gives the time for cool-downs and ``timer`` measures latency."""

    def __init__(
        self,
        catalog: CompiledCatalog,
        environ: Mapping[str, str] | None = None,
        usage: UsageStore | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        cooldowns: dict[CooldownKey, tuple[float, str]] | None = None,
        timer: Callable[[], float] = time.perf_counter,
        budgets: BudgetCounter | None = None,
    ) -> None:
        """``cooldowns`` is a shared (provider, model or None) -> (until, reason) map, for a caller
        that keeps it itself (the gateway); otherwise it is read from ``usage`` on first use.
        ``budgets`` counts the candidates' budget windows (default: ``usage``)."""
        self.catalog = catalog
        self.environ: Mapping[str, str] = dict(os.environ) if environ is None else environ
        self.usage = usage
        self.client = client
        self.clock = clock
        self.timer = timer
        self._cooldowns = cooldowns
        self.budgets = budgets if budgets is not None else usage
        self._client_lock = threading.Lock()  # refresh calls from several threads
        # Why usage is not recorded, once the store failed: the call goes on without it, and the
        # command says so (the answer a person asked for is not lost to a damaged database).
        self.usage_warning: str | None = None

    def _use_store(self, action: Callable[[UsageStore], T], default: T) -> T:
        if self.usage is None:
            return default
        try:
            return action(self.usage)
        except UsageStoreError as exc:
            self.usage_warning = self.usage_warning or str(exc)
            self.usage = None
            return default

    # -- planning (no network) -------------------------------------------------------------
    def cooldowns(self) -> dict[CooldownKey, tuple[float, str]]:
        if self._cooldowns is None:
            now = self.clock()
            none: list[StoredCooldown] = []
            found = self._use_store(lambda store: store.active_cooldowns(now), none)
            self._cooldowns = {(c.provider, c.model): (c.until_epoch, c.reason) for c in found}
        return self._cooldowns

    def budget(self, candidate: Candidate) -> BudgetState | None:
        """The candidate's free-tier budgets now, counted in the usage store (None when it has
        no limits, or nothing counts)."""
        if self.budgets is None:
            return None
        own = self.catalog.limits(candidate.provider, candidate.model)
        shared = self.catalog.limits(candidate.provider)
        if not (own.declared or shared.declared):
            return None
        plan = plan_budget(candidate.provider, candidate.model, own, shared, self.clock())
        try:
            counts = self.budgets.count_windows(plan.queries())
        except UsageStoreError as exc:  # budgets cannot be counted: say so, do not lose the call
            self.usage_warning = self.usage_warning or str(exc)
            self.budgets = None
            return None
        return plan.state(counts)

    def unreachable(self, provider: str) -> str | None:
        """Why ``provider`` cannot be called at all here (unknown, no key, an unset base-URL
        variable), or None."""
        return route_plan.unreachable(self.catalog, provider, self.environ)

    def skip_reason(self, candidate: Candidate) -> str | None:
        """Why ``candidate`` cannot be called now (unreachable, cooling down after HTTP 429, a
        budget spent), or None if it can."""
        return route_plan.skip_reason(
            self.catalog, candidate, self.environ, self.cooldowns(), self.clock(), self.budget(candidate)
        )

    def skip_now(self, candidate: Candidate) -> str | None:
        """Why a candidate its plan found usable cannot be called now: a cool-down that started
        since (its budget was counted, and whether it can be reached at all found, when the plan
        was made: the catalog and the environment are the router's, fixed)."""
        cooldowns = self.cooldowns()
        return route_plan.cooling(cooldowns, candidate, self.clock()) if cooldowns else None

    def plan_candidates(
        self, workload: str, candidates: Sequence[Candidate], *, show_all: bool = False
    ) -> Plan:
        """Mark each candidate usable or skipped, up to ``max_attempts`` usable ones."""
        return route_plan.plan_candidates(
            self.catalog,
            workload,
            candidates,
            self.environ,
            self.cooldowns(),
            self.clock(),
            show_all=show_all,
            budget_of=self.budget,
        )

    def plan(
        self,
        workload: str,
        provider: str | None = None,
        model: str | None = None,
        *,
        show_all: bool = False,
    ) -> Plan:
        return route_plan.plan_route(
            self.catalog,
            workload,
            provider,
            model,
            self.environ,
            self.cooldowns(),
            self.clock(),
            show_all=show_all,
            budget_of=self.budget,
        )

    # -- calling ---------------------------------------------------------------------------
    def connection(self, provider_id: str, timeout_s: float | None = None) -> Connection:
        """Where and how to call one provider of the catalog (key and URL from the environment)."""
        return route_plan.connection(self.catalog, provider_id, self.environ, timeout_s)

    def provider_api(self, provider_id: str, timeout_s: float | None = None) -> OpenAICompatible:
        """A client for one provider of the catalog."""
        from freegin_gitops.adapters.openai_http import OpenAICompatible

        return OpenAICompatible(self._client(), **self.connection(provider_id, timeout_s)._asdict())

    def warm_up(self) -> None:
        """Make the HTTP client now (loading TLS settings takes a while), before calls start."""
        self._client()

    def _client(self) -> httpx.Client:
        """The shared HTTP client, made on first use (one, even when threads race for it)."""
        with self._client_lock:
            return self._make_client()

    def _make_client(self) -> httpx.Client:
        if self.client is None:
            from freegin_gitops import __version__
            from freegin_gitops.adapters.bounded_http import new_client

            self.client = new_client(headers={"User-Agent": f"freegin-ai/{__version__}"})
        return self.client

    def day_reset_at(self, candidate: Candidate) -> float | None:
        """When the day of the limits a 429 of ``candidate`` would cool down starts over (None
        for a rolling day)."""
        own = self.catalog.limits(candidate.provider, candidate.model)
        shared = self.catalog.limits(candidate.provider)
        scope = cooldown_scope(own, shared)
        resets = shared.day_resets if scope == "provider" or not own.declared else own.day_resets
        return day_reset(self.clock(), resets)

    def keep_cooldown(self, candidate: Candidate, cooldown: Cooldown) -> StoredCooldown:
        """Cool down ``candidate``'s model, or its whole provider when only the provider declares
        limits (:func:`~freegin_gitops.core.budgets.cooldown_scope`); kept for this router and
        written to ``usage`` when the router has one. The later of two cool-downs wins."""
        own = self.catalog.limits(candidate.provider, candidate.model)
        shared = self.catalog.limits(candidate.provider)
        model = None if cooldown_scope(own, shared) == "provider" else candidate.model
        stored = StoredCooldown(candidate.provider, model, cooldown.until, cooldown.reason)
        key = (candidate.provider, model)
        held = self.cooldowns().get(key)
        if held is None or held[0] < cooldown.until:
            self.cooldowns()[key] = (cooldown.until, cooldown.reason)
        self._use_store(lambda store: store.cool_down(stored), None)
        return stored

    def _record(
        self,
        workload: str,
        candidate: Candidate,
        latency_ms: float,
        answer: ChatAnswer | None,
        error: ProviderError | None,
    ) -> None:
        if self.usage is None:
            return
        record = [
            UsageRecord(
                provider=candidate.provider,
                model=candidate.model,
                workload=workload,
                latency_ms=latency_ms,
                success=answer is not None,
                error_kind=error.kind if error else None,
                status_code=answer.status_code if answer else (error.status_code if error else None),
                prompt_tokens=answer.prompt_tokens if answer else None,
                completion_tokens=answer.completion_tokens if answer else None,
                total_tokens=answer.total_tokens if answer else None,
                ts=iso_utc(self.clock()),
                rate_limits=answer.rate_limits if answer else (error.rate_limits if error else ()),
            )
        ]
        self._use_store(lambda store: store.record(record), None)

    def call(
        self,
        plan: Plan,
        messages: Sequence[Mapping[str, str]],
        *,
        timeout_s: float | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> RoutedAnswer:
        """Try the plan's candidates in order until one answers; every attempt is recorded."""
        attempts = RouteAttempts(plan, self.catalog.max_attempts, on_attempt)
        for candidate in attempts.to_call(self.skip_now):
            api = self.provider_api(candidate.provider, timeout_s)
            started = self.timer()
            try:
                answer = api.chat(candidate.model, messages)
            except ProviderError as error:
                latency = (self.timer() - started) * 1000
                self._record(plan.workload, candidate, latency, None, error)
                cooldown = attempts.failed(
                    candidate, error, latency, self.clock(), self.day_reset_at(candidate)
                )
                if cooldown is not None:
                    self.keep_cooldown(candidate, cooldown)
                continue
            latency = (self.timer() - started) * 1000
            self._record(plan.workload, candidate, latency, answer, None)
            attempts.answered(candidate, answer.status_code, latency)
            return RoutedAnswer(
                answer.text,
                candidate.provider,
                candidate.model,
                plan.workload,
                latency,
                tuple(attempts.attempts),
            )
        raise NoCandidateAnswered(attempts.failure_sentence())

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
