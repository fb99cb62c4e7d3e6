"""``list-models``: one row per provider x workload x model, catalog entries and suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freegin_gitops.core.budgets import BudgetState, budget_json
from freegin_gitops.core.catalog import Catalog, ModelEntry, Provider, Suggestion
from freegin_gitops.core.usage import UsageKey, UsageStats

STATUSES = ("active", "deprecated", "retired", "pending", "adopted", "rejected")
DEFAULT_STATUSES = ("active", "deprecated", "pending")  # what the router may use


@dataclass(frozen=True, slots=True)
class ModelRow:
    provider: str
    workload: str
    model: str
    status: str
    origin: str  # "catalog" or "suggestion"
    verified: bool | None
    context_window: int | None
    note: str | None
    usage: UsageStats | None
    budget: BudgetState | None = None

    def as_json(self) -> dict[str, Any]:
        usage = self.usage
        return {
            "provider": self.provider,
            "workload": self.workload,
            "model": self.model,
            "status": self.status,
            "origin": self.origin,
            "verified": self.verified,
            "context_window": self.context_window,
            "note": self.note,
            "calls": usage.calls if usage else None,
            "success_rate": usage.success_rate if usage else None,
            "mean_latency_ms": usage.mean_latency_ms if usage else None,
            "p95_latency_ms": usage.p95_latency_ms if usage else None,
            "last_used": usage.last_used if usage else None,
            "budget": budget_json(self.budget),
        }


def _note(entry: ModelEntry) -> str | None:
    """The reason of a deprecated or retired model, with its successor; None for an active one."""
    if entry.status == "active":
        return None
    parts = [entry.reason] if entry.reason else []
    if entry.status == "deprecated" and entry.deprecated:
        parts.insert(0, f"deprecated {entry.deprecated.isoformat()}")
    if entry.successor:
        parts.append(f"successor {entry.successor}")
    return "; ".join(parts) or None


def provider_rows(
    prov: Provider,
    suggestions: Sequence[Suggestion],
    stats: Mapping[UsageKey, UsageStats],
    workload: str | None = None,
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> list[ModelRow]:
    """Rows for one provider's models and suggestions, filtered, by workload and in preference
    order within a workload."""
    pid = prov.id
    rows: list[tuple[tuple[str, int], ModelRow]] = []
    for rank, entry in enumerate(prov.models):
        gone = {g.workload: g for g in entry.retired_workloads}
        for w in (*entry.workloads, *(g for g in gone if g not in entry.workloads)):
            status = "retired" if w in gone else entry.status
            note = gone[w].reason if w in gone else _note(entry)
            rows.append(
                (
                    (w, rank),
                    ModelRow(
                        pid,
                        w,
                        entry.id,
                        status,
                        "catalog",
                        None,
                        entry.hints.context_window,
                        note,
                        stats.get((pid, entry.id, w)),
                    ),
                )
            )
    for rank, s in enumerate(suggestions, start=len(prov.models)):
        rows.append(
            (
                (s.workload, rank),
                ModelRow(
                    pid,
                    s.workload,
                    s.model,
                    s.status,
                    "suggestion",
                    s.verified,
                    s.hints.context_window,
                    s.rationale if s.status == "pending" else s.reason,
                    stats.get((pid, s.model, s.workload)),
                ),
            )
        )
    wanted = set(statuses)
    return [
        row
        for _, row in sorted(rows, key=lambda item: item[0])
        if row.status in wanted and (workload is None or row.workload == workload)
    ]


def model_rows(
    catalog: Catalog,
    stats: Mapping[UsageKey, UsageStats],
    provider: str | None = None,
    workload: str | None = None,
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> list[ModelRow]:
    """Rows for the catalog's models and suggestions, filtered, in provider/workload order and
    preference order within them."""
    return [
        row
        for pid in sorted(catalog.providers)
        if provider is None or pid == provider
        for row in provider_rows(
            catalog.providers[pid], catalog.suggestions.get(pid, ()), stats, workload, statuses
        )
    ]
