"""``freegin-ai list-models``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, emit_json_array, note, table
from freegin_gitops.core.budgets import budget_cell
from freegin_gitops.core.listing import DEFAULT_STATUSES, STATUSES, ModelRow, provider_rows
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.errors import BadUsage, NotFound
from freegin_gitops.services.catalog.valid_catalog import open_valid_catalog
from freegin_gitops.services.routing.usage_stats import BudgetReader, read_stats


def _statuses(status: str | None) -> tuple[str, ...]:
    if status is None:
        return DEFAULT_STATUSES
    if status == "all":
        return STATUSES
    if status not in STATUSES:
        raise BadUsage(f"--status {status!r} is not one of {', '.join(STATUSES)}, all")
    return (status,)


ROUTED = ("active", "deprecated", "pending")  # rows whose budgets are shown


def _cells(row: ModelRow, with_budget: bool) -> list[str]:
    usage = row.usage
    verified = "" if row.verified is None else ("yes" if row.verified else "no")
    rate = usage.success_rate if usage else None
    return [
        row.provider,
        row.workload,
        row.model,
        row.status,
        verified,
        str(usage.calls) if usage else "",
        f"{rate:.0%}" if rate is not None else "",
        f"{usage.mean_latency_ms:.0f}" if usage and usage.mean_latency_ms is not None else "",
        f"{usage.p95_latency_ms:.0f}" if usage and usage.p95_latency_ms is not None else "",
        usage.last_used[:16].replace("T", " ") if usage and usage.last_used else "",
        *([budget_cell(row.budget)] if with_budget else []),
    ]


def run(
    options: GlobalOptions,
    *,
    provider: str | None,
    workload: str | None,
    status: str | None,
    as_json: bool,
) -> int:
    statuses = _statuses(status)
    repo = catalog_repo(options)
    catalog = open_valid_catalog(repo.root)
    if provider and provider not in catalog.provider_ids:
        raise NotFound(f"unknown provider {provider!r}{did_you_mean(provider, catalog.provider_ids)}")
    if workload and workload not in catalog.workloads:
        raise NotFound(f"unknown workload {workload!r}{did_you_mean(workload, catalog.workloads)}")
    stats, unread = read_stats(options.db)
    if unread:  # the catalog is what was asked for: list it, and say why there are no figures
        note(f"freegin-ai: warning: usage figures are not shown: {unread}")
    budgets = BudgetReader(options.db, time.time())

    def rows() -> Iterator[ModelRow]:
        # One provider at a time: listing 50,000 models never holds them all.
        for pid in [provider] if provider else catalog.provider_ids:
            prov, suggestions = catalog.provider(pid)
            found = list(provider_rows(prov, suggestions, stats, workload, statuses))
            counted = budgets.of(prov, [r.model for r in found if r.status in ROUTED])
            yield from (dataclasses.replace(r, budget=counted.get(r.model)) for r in found)

    with budgets:
        if as_json:
            emit_json_array(row.as_json() for row in rows())
            _budget_note(budgets.problem)
            return 0
        listed = list(rows())
    _budget_note(budgets.problem)
    with_budget = any(r.budget is not None for r in listed)
    headers = [
        "PROVIDER",
        "WORKLOAD",
        "MODEL",
        "STATUS",
        "VERIFIED",
        "CALLS",
        "OK",
        "MEAN MS",
        "P95 MS",
        "LAST USED",
        *(["BUDGET"] if with_budget else []),
    ]
    emit(table(headers, [_cells(r, with_budget) for r in listed]))
    return 0


def _budget_note(problem: str | None) -> None:
    if problem:
        note(f"freegin-ai: warning: budgets are not shown: {problem}")
