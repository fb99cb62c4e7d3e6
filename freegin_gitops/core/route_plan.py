"""Planning a routed call: which candidates can be called now, and why the others are skipped.

A function of the compiled catalog, the environment (API keys, base-URL variables), the
cool-downs (of a provider, or of one of its models), the candidates' free-tier budgets (counted by
the caller, :mod:`freegin_gitops.core.budgets`) and the time; it calls nothing. ``route`` shows a
plan, ``ask`` and refresh call one through the router, and the gateway calls one asynchronously:
all of them plan here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from freegin_gitops.core.budgets import BudgetState
from freegin_gitops.core.compiled_catalog import (
    Candidate,
    CompiledCatalog,
    expand_url,
    expanded_url_problem,
    url_variables,
)
from freegin_gitops.core.routing import select_candidates
from freegin_gitops.errors import NotFound

# (provider, model; None for every model of the provider) -> (until, as epoch seconds; reason)
CooldownKey = tuple[str, str | None]
Cooldowns = Mapping[CooldownKey, tuple[float, str]]
BudgetOf = Callable[[Candidate], BudgetState | None]


class PlannedCandidate(NamedTuple):
    candidate: Candidate
    skip: str | None = None
    budget: BudgetState | None = None  # the candidate's budgets, when it has limits

    @property
    def usable(self) -> bool:
        return self.skip is None


class Plan(NamedTuple):
    workload: str
    entries: tuple[PlannedCandidate, ...]
    not_reached: int  # candidates after the last one the router would try


class Connection(NamedTuple):
    """Where and how to call one provider: its URL, key, headers and timeout."""

    provider: str
    base_url: str
    api_key: str | None
    headers: dict[str, str]
    timeout_s: float


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unreachable(catalog: CompiledCatalog, provider: str, environ: Mapping[str, str]) -> str | None:
    """Why ``provider`` cannot be called at all (unknown, an API style we do not speak, no key, an
    unset base-URL variable, a variable that would put credentials in the URL), or None."""
    api = catalog.provider(provider)
    if api is None:
        return f"unknown provider {provider!r} (not in the catalog)"
    if api.style != "openai":
        return f"API style {api.style!r} is not supported"
    if api.api_key_env and not environ.get(api.api_key_env):
        return f"no API key: {api.api_key_env} is not set"
    for variable in url_variables(api.base_url):
        if not environ.get(variable):
            return f"{variable} is not set (the base URL needs it)"
    return expanded_url_problem(api.base_url, environ)


def cooling(cooldowns: Cooldowns, candidate: Candidate, now: float) -> str | None:
    """Why ``candidate`` is not called before a cool-down of its model or of its whole provider
    ends (after HTTP 429), or None. The one that ends later is named."""
    found = [
        c
        for c in (
            cooldowns.get((candidate.provider, candidate.model)),
            cooldowns.get((candidate.provider, None)),
        )
        if c is not None and c[0] > now
    ]
    if not found:
        return None
    until, reason = max(found)
    return f"cooling down until {_iso(until)} ({reason})"


def skip_reason(
    catalog: CompiledCatalog,
    candidate: Candidate,
    environ: Mapping[str, str],
    cooldowns: Cooldowns,
    now: float,
    budget: BudgetState | None = None,
) -> str | None:
    """Why ``candidate`` cannot be called now (unreachable, cooling down, or a free-tier budget
    spent), or None if it can."""
    return (
        unreachable(catalog, candidate.provider, environ)
        or cooling(cooldowns, candidate, now)
        or (budget.skip_reason() if budget is not None else None)
    )


def plan_candidates(
    catalog: CompiledCatalog,
    workload: str,
    candidates: Sequence[Candidate],
    environ: Mapping[str, str],
    cooldowns: Cooldowns,
    now: float,
    *,
    show_all: bool,
    budget_of: BudgetOf | None = None,
) -> Plan:
    """Mark each candidate usable or skipped, up to ``routing.max_attempts`` usable ones (all of
    them with ``show_all``). ``budget_of`` counts a candidate's budgets; it is asked only for
    candidates that could otherwise be called."""
    limit = catalog.max_attempts
    entries: list[PlannedCandidate] = []
    usable = 0
    reachable: dict[str, str | None] = {}
    for position, candidate in enumerate(candidates):
        if usable >= limit and not show_all:
            return Plan(workload, tuple(entries), len(candidates) - position)
        if candidate.provider not in reachable:
            reachable[candidate.provider] = unreachable(catalog, candidate.provider, environ)
        skip = reachable[candidate.provider] or cooling(cooldowns, candidate, now)
        budget = budget_of(candidate) if skip is None and budget_of is not None else None
        if skip is None and budget is not None:
            skip = budget.skip_reason()
        entries.append(PlannedCandidate(candidate, skip, budget))
        usable += skip is None
    return Plan(workload, tuple(entries), 0)


def plan_route(
    catalog: CompiledCatalog,
    workload: str,
    provider: str | None,
    model: str | None,
    environ: Mapping[str, str],
    cooldowns: Cooldowns,
    now: float,
    *,
    show_all: bool = False,
    budget_of: BudgetOf | None = None,
) -> Plan:
    """The plan of a call for ``workload`` (restricted to ``provider`` and/or ``model``)."""
    candidates = select_candidates(catalog, workload, provider, model)
    if not candidates and model is not None:  # with --provider too it would be an override
        raise NotFound(
            f"model {model!r} is not a candidate for {workload!r}; "
            "name its provider with --provider to call it anyway"
        )
    return plan_candidates(
        catalog, workload, candidates, environ, cooldowns, now, show_all=show_all, budget_of=budget_of
    )


def connection(
    catalog: CompiledCatalog, provider: str, environ: Mapping[str, str], timeout_s: float | None = None
) -> Connection:
    """How to call ``provider``: its base URL filled from ``environ``, its key, its headers and the
    timeout (``timeout_s``, else the provider's, else the catalog's)."""
    api = catalog.provider(provider)
    if api is None:
        raise NotFound(f"unknown provider {provider!r}")
    return Connection(
        provider=provider,
        base_url=expand_url(api.base_url, environ),
        api_key=environ.get(api.api_key_env) if api.api_key_env else None,
        headers=dict(api.headers),
        timeout_s=timeout_s or api.timeout_s or catalog.timeout_s,
    )
