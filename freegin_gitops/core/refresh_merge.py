"""From recommendations to suggestion changes: checks against the workload and the provider's
model list, and the merge with the suggestions already made."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from freegin_gitops.core.catalog import Provider, Suggestion, Workload
from freegin_gitops.core.identifiers import shown, skeleton
from freegin_gitops.core.model_list import ListedModel, ModelList
from freegin_gitops.core.refresh_model import (
    Recommendation,
    SkippedRecommendation,
    SuggestionChange,
    UnlistedRecommendation,
    WorkloadRecommendations,
)

# The closed vocabulary of cost, cheapest first: a workload's ``max_cost`` is the dearest allowed.
COSTS = ("free", "free-quota", "paid")
SPEEDS = ("slow", "medium", "fast")


def verified(model_id: str, listed: ModelList | None) -> bool | None:
    """True if the provider lists the model, False if not, None if the list could not be had."""
    return None if listed is None else model_id in listed


def over_budget(cost: str | None, max_cost: str | None) -> bool:
    """True when ``cost`` is dearer than the workload's ``max_cost`` (unknown costs pass)."""
    if cost not in COSTS or max_cost not in COSTS:
        return False
    return COSTS.index(cost) > COSTS.index(max_cost)


@dataclass(frozen=True, slots=True)
class Merged:
    changes: list[SuggestionChange]
    skipped: list[SkippedRecommendation]
    unlisted: list[UnlistedRecommendation]


def _nothing_new(existing: Suggestion, change: SuggestionChange) -> bool:
    """A pending suggestion made again is news only when a fact changed: a reworded rationale
    alone would churn the branch and the pull request every week."""
    context = change.context_window
    return (
        existing.verified == change.verified
        and existing.cost == change.cost
        and existing.speed == change.speed
        and (context is None or existing.hints.context_window == context)
    )


def _change(
    provider: str,
    workload: str,
    rec: Recommendation,
    action: str,
    listed: ModelList | None,
    entry: ListedModel | None,
) -> SuggestionChange:
    return SuggestionChange(
        provider=provider,
        workload=workload,
        model=rec.model,
        action="updated" if action == "updated" else "added",
        rationale=rec.reason,
        verified=verified(rec.model, listed),
        cost=rec.cost,
        speed=rec.speed,
        listed_since=entry.created if entry else None,
        context_window=entry.context_window if entry else None,
    )


def merge_recommendations(
    provider: Provider,
    suggestions: Sequence[Suggestion],
    recommendations: Sequence[WorkloadRecommendations],
    *,
    workloads: Mapping[str, Workload],
    wanted_workloads: Collection[str] | None,
    per_workload: int,
    listed: ModelList | None,
    keep_unlisted: bool,
) -> Merged:
    """The suggestions to add or make again, the recommendations left out (with why), and those
    the provider's list does not hold.

    Models active (or deprecated) in the catalog are not suggested, rejected ones never come
    back, a model adopted before is not suggested again, a cost over the workload's ``max_cost``
    is left out, and a pending suggestion made again with nothing new is left as it is.
    """
    in_catalog = {(w, m.id): m.status for m in provider.models if m.usable for w in m.workloads}
    existing = {(s.workload, s.model): s for s in suggestions}
    merged = Merged([], [], [])

    def skip(workload: str, model: str, why: str) -> None:
        merged.skipped.append(SkippedRecommendation(provider.id, workload, model, why))

    looks = {skeleton(m.id): m.id for m in provider.models}
    for group in recommendations:
        workload = group.workload
        spec = workloads.get(workload)
        max_cost = spec.max_cost if spec is not None else None
        taken = 0
        for rec in group.items:
            key = (workload, rec.model)
            before = existing.get(key)
            twin = looks.get(skeleton(rec.model))
            if workload not in workloads:
                skip(workload, rec.model, "unknown workload")
            elif twin is not None and twin != rec.model:
                skip(
                    workload,
                    rec.model,
                    f"looks exactly like the catalog model {shown(twin)}: likely a duplicate",
                )
            elif wanted_workloads is not None and workload not in wanted_workloads:
                skip(workload, rec.model, "workload not asked for")
            elif key in in_catalog:
                skip(workload, rec.model, f"already {in_catalog[key]}")
            elif before is not None and before.status in ("rejected", "adopted"):
                skip(workload, rec.model, f"{before.status} earlier")
            elif over_budget(rec.cost, max_cost):
                skip(workload, rec.model, f"cost {rec.cost} is over {workload}'s max_cost {max_cost}")
            elif listed is not None and rec.model not in listed and not keep_unlisted:
                merged.unlisted.append(UnlistedRecommendation(provider.id, workload, rec.model, rec.reason))
            elif taken >= per_workload:
                skip(workload, rec.model, f"more than {per_workload} recommendations for {workload}")
            else:
                taken += 1
                entry = listed.get(rec.model) if listed is not None else None
                action = "updated" if before is not None else "added"
                change = _change(provider.id, workload, rec, action, listed, entry)
                if before is not None and _nothing_new(before, change):
                    skip(workload, rec.model, "already pending, nothing new")
                else:
                    merged.changes.append(change)
    return merged
