"""``freegin-ai list-models``."""

from __future__ import annotations

import dataclasses
import time

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, emit_json, table
from freegin_gitops.core.budgets import budget_cell
from freegin_gitops.core.listing import DEFAULT_STATUSES, STATUSES, ModelRow, model_rows
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.errors import BadUsage, NotFound
from freegin_gitops.services.catalog.parse_cache import load_cached
from freegin_gitops.services.routing.usage_stats import read_budgets, read_stats


def _statuses(status: str | None) -> tuple[str, ...]:
    if status is None:
        return DEFAULT_STATUSES
    if status == "all":
        return STATUSES
    if status not in STATUSES:
        raise BadUsage(f"--status {status!r} is not one of {', '.join(STATUSES)}, all")
    return (status,)


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
    catalog = load_cached(repo.root, read_catalog_dir(repo.root), need_documents=True).require_catalog()
    if provider and provider not in catalog.providers:
        raise NotFound(f"unknown provider {provider!r}{did_you_mean(provider, catalog.providers)}")
    if workload and workload not in catalog.workloads:
        raise NotFound(f"unknown workload {workload!r}{did_you_mean(workload, catalog.workloads)}")
    rows = model_rows(catalog, read_stats(options.db), provider, workload, statuses)
    listed = [(r.provider, r.model) for r in rows if r.status in ("active", "pending")]
    budgets = read_budgets(options.db, catalog, listed, time.time())
    rows = [dataclasses.replace(r, budget=budgets.get((r.provider, r.model))) for r in rows]
    with_budget = any(r.budget is not None for r in rows)
    if as_json:
        emit_json([row.as_json() for row in rows])
        return 0
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
    emit(table(headers, [_cells(r, with_budget) for r in rows]))
    return 0
