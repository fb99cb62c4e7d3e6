"""The router: plans the candidates of a routed call, calls them in order until one answers, and
records every attempt in the usage database.

Planning does no network I/O (``route`` uses only that part); httpx is imported on the first call.
API keys are read from the environment when a call is made and go nowhere but the request header.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog, expand_url, url_variables
from freegin_gitops.core.routing import select_candidates
from freegin_gitops.errors import NoCandidateAnswered, NotFound, ProviderError

if TYPE_CHECKING:
    import httpx

    from freegin_gitops.adapters.openai_http import ChatAnswer, OpenAICompatible
    from freegin_gitops.adapters.usage_db import UsageStore

DEFAULT_COOLDOWN_S = 30.0
MAX_COOLDOWN_S = 24 * 3600.0

Outcome = Literal["answered", "failed", "skipped"]


class PlannedCandidate(NamedTuple):
    candidate: Candidate
    skip: str | None = None

    @property
    def usable(self) -> bool:
        return self.skip is None


class Plan(NamedTuple):
    workload: str
    entries: tuple[PlannedCandidate, ...]
    not_reached: int  # candidates after the last one the router would try


class Attempt(NamedTuple):
    provider: str
    model: str
    origin: str
    outcome: Outcome
    reason: str | None = None
    error_kind: str | None = None
    status_code: int | None = None
    latency_ms: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "model": self.model,
            "origin": self.origin,
            "outcome": self.outcome,
            "reason": self.reason,
            "error_kind": self.error_kind,
            "status_code": self.status_code,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
        }


class RoutedAnswer(NamedTuple):
    text: str
    provider: str
    model: str
    workload: str
    latency_ms: float
    attempts: tuple[Attempt, ...]


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Router:
    """Routes calls over a compiled catalog. ``usage`` is where attempts and cool-downs go."""

    def __init__(
        self,
        catalog: CompiledCatalog,
        environ: Mapping[str, str] | None = None,
        usage: UsageStore | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.environ: Mapping[str, str] = dict(os.environ) if environ is None else environ
        self.usage = usage
        self.client = client
        self.clock = clock
        self._cooldowns: dict[str, tuple[float, str]] | None = None
        self._client_lock = threading.Lock()  # refresh calls from several threads

    # -- planning (no network) -------------------------------------------------------------
    def cooldowns(self) -> dict[str, tuple[float, str]]:
        if self._cooldowns is None:
            self._cooldowns = self.usage.cooldowns(self.clock()) if self.usage is not None else {}
        return self._cooldowns

    def unreachable(self, provider: str) -> str | None:
        """Why ``provider`` cannot be called at all here (unknown, no key, an unset base-URL
        variable), or None."""
        api = self.catalog.provider(provider)
        if api is None:
            return f"unknown provider {provider!r} (not in the catalog)"
        if api.style != "openai":
            return f"API style {api.style!r} is not supported"
        if api.api_key_env and not self.environ.get(api.api_key_env):
            return f"no API key: {api.api_key_env} is not set"
        for variable in url_variables(api.base_url):
            if not self.environ.get(variable):
                return f"{variable} is not set (the base URL needs it)"
        return None

    def skip_reason(self, candidate: Candidate) -> str | None:
        """Why ``candidate`` cannot be called now (unreachable, or cooling down after HTTP 429),
        or None if it can."""
        unreachable = self.unreachable(candidate.provider)
        if unreachable is not None:
            return unreachable
        cooling = self.cooldowns().get(candidate.provider)
        if cooling is not None and cooling[0] > self.clock():
            return f"cooling down until {_iso(cooling[0])} ({cooling[1]})"
        return None

    def plan_candidates(
        self, workload: str, candidates: Sequence[Candidate], *, show_all: bool = False
    ) -> Plan:
        """Mark each candidate usable or skipped, up to ``max_attempts`` usable ones."""
        limit = self.catalog.max_attempts
        entries: list[PlannedCandidate] = []
        usable = 0
        reasons: dict[str, str | None] = {}
        for position, candidate in enumerate(candidates):
            if usable >= limit and not show_all:
                return Plan(workload, tuple(entries), len(candidates) - position)
            if candidate.provider not in reasons:
                reasons[candidate.provider] = self.skip_reason(candidate)
            skip = reasons[candidate.provider]
            entries.append(PlannedCandidate(candidate, skip))
            usable += skip is None
        return Plan(workload, tuple(entries), 0)

    def plan(
        self,
        workload: str,
        provider: str | None = None,
        model: str | None = None,
        *,
        show_all: bool = False,
    ) -> Plan:
        candidates = select_candidates(self.catalog, workload, provider, model)
        if not candidates and model is not None:
            raise NotFound(
                f"model {model!r} is not a candidate for {workload!r}"
                f"{f' at {provider!r}' if provider else ''}; "
                "name its provider with --provider to call it anyway"
            )
        return self.plan_candidates(workload, candidates, show_all=show_all)

    # -- calling ---------------------------------------------------------------------------
    def provider_api(self, provider_id: str, timeout_s: float | None = None) -> OpenAICompatible:
        """A client for one provider of the catalog (key and URL from the environment)."""
        from freegin_gitops.adapters.openai_http import OpenAICompatible

        api = self.catalog.provider(provider_id)
        if api is None:
            raise NotFound(f"unknown provider {provider_id!r}")
        key = self.environ.get(api.api_key_env) if api.api_key_env else None
        return OpenAICompatible(
            self._client(),
            provider=provider_id,
            base_url=expand_url(api.base_url, self.environ),
            api_key=key,
            headers=dict(api.headers),
            timeout_s=timeout_s or api.timeout_s or self.catalog.timeout_s,
        )

    def warm_up(self) -> None:
        """Make the HTTP client now (loading TLS settings takes a while), before calls start."""
        self._client()

    def _client(self) -> httpx.Client:
        """The shared HTTP client, made on first use (one, even when threads race for it)."""
        with self._client_lock:
            return self._make_client()

    def _make_client(self) -> httpx.Client:
        if self.client is None:
            import httpx

            from freegin_gitops import __version__

            self.client = httpx.Client(
                headers={"User-Agent": f"freegin-ai/{__version__}"}, follow_redirects=True
            )
        return self.client

    def _cool_down(self, provider: str, error: ProviderError) -> None:
        wait = error.retry_after_s if error.retry_after_s is not None else DEFAULT_COOLDOWN_S
        until = self.clock() + min(wait, MAX_COOLDOWN_S)
        reason = "HTTP 429" + (f", Retry-After {wait:.0f}s" if error.retry_after_s is not None else "")
        self.cooldowns()[provider] = (until, reason)
        if self.usage is not None:
            self.usage.set_cooldown(provider, until, reason)

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
        from freegin_gitops.adapters.usage_db import UsageRecord

        self.usage.record(
            [
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
                )
            ]
        )

    def call(
        self,
        plan: Plan,
        messages: Sequence[Mapping[str, str]],
        *,
        timeout_s: float | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> RoutedAnswer:
        """Try the plan's candidates in order until one answers; every attempt is recorded."""
        attempts: list[Attempt] = []

        def note(attempt: Attempt) -> None:
            attempts.append(attempt)
            if on_attempt is not None:
                on_attempt(attempt)

        for entry in plan.entries:
            candidate = entry.candidate
            skip = entry.skip if entry.skip is not None else self.skip_reason(candidate)
            if skip is not None:
                note(Attempt(candidate.provider, candidate.model, candidate.origin, "skipped", skip))
                continue
            api = self.provider_api(candidate.provider, timeout_s)
            started = time.perf_counter()
            try:
                answer = api.chat(candidate.model, messages)
            except ProviderError as error:
                latency = (time.perf_counter() - started) * 1000
                self._record(plan.workload, candidate, latency, None, error)
                if error.kind == "rate_limited":
                    self._cool_down(candidate.provider, error)
                note(
                    Attempt(
                        candidate.provider,
                        candidate.model,
                        candidate.origin,
                        "failed",
                        str(error),
                        error.kind,
                        error.status_code,
                        latency,
                    )
                )
                continue
            latency = (time.perf_counter() - started) * 1000
            self._record(plan.workload, candidate, latency, answer, None)
            note(
                Attempt(
                    candidate.provider,
                    candidate.model,
                    candidate.origin,
                    "answered",
                    None,
                    None,
                    answer.status_code,
                    latency,
                )
            )
            return RoutedAnswer(
                answer.text, candidate.provider, candidate.model, plan.workload, latency, tuple(attempts)
            )
        raise NoCandidateAnswered(_failure_sentence(plan, attempts))

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def _failure_sentence(plan: Plan, attempts: Iterable[Attempt], shown: int = 8) -> str:
    failed: list[str] = []
    skipped: dict[str, str] = {}
    for a in attempts:
        if a.outcome == "failed":
            failed.append(a.reason or f"{a.provider}/{a.model}")
        elif a.outcome == "skipped":
            skipped.setdefault(a.provider, a.reason or "skipped")
    if not failed and not skipped:
        return f"no candidate for workload {plan.workload!r}: the catalog has none"
    parts = []
    if failed:
        parts.append("tried " + "; ".join(failed))
    if skipped:
        listed = [f"{p} ({why})" for p, why in list(skipped.items())[:shown]]
        more = len(skipped) - shown
        parts.append("skipped " + ", ".join(listed) + (f" and {more} more provider(s)" if more > 0 else ""))
    return f"no candidate answered for workload {plan.workload!r}: " + "; ".join(parts)
