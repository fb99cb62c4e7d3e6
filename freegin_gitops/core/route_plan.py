"""Planning a routed call: which candidates can be called now, and why the others are skipped.

A function of the compiled catalog, the environment (API keys, base-URL variables), the
providers' cool-downs and the time; it calls nothing. ``route`` shows a plan, ``ask`` and refresh
call one through the router, and the gateway calls one asynchronously: all of them plan here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from freegin_gitops.core.compiled_catalog import (
    Candidate,
    CompiledCatalog,
    expand_url,
    expanded_url_problem,
    url_variables,
)
from freegin_gitops.core.routing import select_candidates
from freegin_gitops.errors import NotFound

Cooldowns = Mapping[str, tuple[float, str]]  # provider -> (until, as epoch seconds; reason)


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


def cooling(cooldowns: Cooldowns, provider: str, now: float) -> str | None:
    """Why ``provider`` is not called before a cool-down ends (after HTTP 429), or None."""
    found = cooldowns.get(provider)
    if found is not None and found[0] > now:
        return f"cooling down until {_iso(found[0])} ({found[1]})"
    return None


def skip_reason(
    catalog: CompiledCatalog,
    candidate: Candidate,
    environ: Mapping[str, str],
    cooldowns: Cooldowns,
    now: float,
) -> str | None:
    """Why ``candidate`` cannot be called now (unreachable, or cooling down), or None if it can."""
    return unreachable(catalog, candidate.provider, environ) or cooling(cooldowns, candidate.provider, now)


def plan_candidates(
    catalog: CompiledCatalog,
    workload: str,
    candidates: Sequence[Candidate],
    environ: Mapping[str, str],
    cooldowns: Cooldowns,
    now: float,
    *,
    show_all: bool = False,
) -> Plan:
    """Mark each candidate usable or skipped, up to ``routing.max_attempts`` usable ones (all of
    them with ``show_all``)."""
    limit = catalog.max_attempts
    entries: list[PlannedCandidate] = []
    usable = 0
    reasons: dict[str, str | None] = {}
    for position, candidate in enumerate(candidates):
        if usable >= limit and not show_all:
            return Plan(workload, tuple(entries), len(candidates) - position)
        if candidate.provider not in reasons:
            reasons[candidate.provider] = skip_reason(catalog, candidate, environ, cooldowns, now)
        skip = reasons[candidate.provider]
        entries.append(PlannedCandidate(candidate, skip))
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
) -> Plan:
    """The plan of a call for ``workload`` (restricted to ``provider`` and/or ``model``)."""
    candidates = select_candidates(catalog, workload, provider, model)
    if not candidates and model is not None:  # with --provider too it would be an override
        raise NotFound(
            f"model {model!r} is not a candidate for {workload!r}; "
            "name its provider with --provider to call it anyway"
        )
    return plan_candidates(catalog, workload, candidates, environ, cooldowns, now, show_all=show_all)


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
