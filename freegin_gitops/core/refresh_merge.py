"""From recommendations to catalog changes: verification against the provider's model list,
merge with existing suggestions, and retirement proposals for models the provider dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from freegin_gitops.core.catalog import Provider, Suggestion
from freegin_gitops.core.identifiers import shown, skeleton
from freegin_gitops.core.refresh_model import (
    RetirementProposal,
    SkippedRecommendation,
    SuggestionChange,
    WorkloadRecommendations,
)
from freegin_gitops.core.usage import UsageKey, UsageStats


def _variants(model_id: str) -> list[str]:
    """Forms under which a provider may list a model: as is, without Gemini's ``models/``
    prefix, and case-folded. Suffixes such as OpenRouter's ``:free`` or Ollama's tags are kept:
    the free variant disappearing is exactly what a refresh must notice."""
    base = model_id.removeprefix("models/")
    return [model_id, base, base.casefold()]


@dataclass(frozen=True, slots=True)
class ModelList:
    """The model ids a provider lists (``GET /models``), matched leniently."""

    ids: frozenset[str]

    @classmethod
    def of(cls, ids: Iterable[str]) -> ModelList:
        return cls(frozenset(form for i in ids for form in _variants(i)))

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and any(f in self.ids for f in _variants(model_id))

    def __len__(self) -> int:
        return len(self.ids)


def verified(model_id: str, listed: ModelList | None) -> bool | None:
    """True if the provider lists the model, False if not, None if the list could not be had."""
    return None if listed is None else model_id in listed


def merge_recommendations(
    provider: Provider,
    suggestions: Sequence[Suggestion],
    recommendations: Sequence[WorkloadRecommendations],
    *,
    known_workloads: Collection[str],
    wanted_workloads: Collection[str] | None,
    per_workload: int,
    listed: ModelList | None,
) -> tuple[list[SuggestionChange], list[SkippedRecommendation]]:
    """The suggestions to add or make again, and the recommendations left out (with why).

    Already-active models are not suggested, rejected ones never come back, a model adopted
    before is not suggested again, and each (workload, model) appears once.
    """
    active = {(w, m.id) for m in provider.models if m.active for w in m.workloads}
    existing = {(s.workload, s.model): s for s in suggestions}
    changes: list[SuggestionChange] = []
    skipped: list[SkippedRecommendation] = []

    def skip(workload: str, model: str, why: str) -> None:
        skipped.append(SkippedRecommendation(provider.id, workload, model, why))

    looks = {skeleton(m.id): m.id for m in provider.models}
    for group in recommendations:
        workload = group.workload
        taken = 0
        for rec in group.items:
            key = (workload, rec.model)
            twin = looks.get(skeleton(rec.model))
            if workload not in known_workloads:
                skip(workload, rec.model, "unknown workload")
            elif twin is not None and twin != rec.model:
                skip(
                    workload,
                    rec.model,
                    f"looks exactly like the catalog model {shown(twin)}: likely a duplicate",
                )
            elif wanted_workloads is not None and workload not in wanted_workloads:
                skip(workload, rec.model, "workload not asked for")
            elif taken >= per_workload:
                skip(workload, rec.model, f"more than {per_workload} recommendations for {workload}")
            elif key in active:
                skip(workload, rec.model, "already active")
            elif key in existing and existing[key].status == "rejected":
                skip(workload, rec.model, "rejected earlier")
            elif key in existing and existing[key].status == "adopted":
                skip(workload, rec.model, "adopted earlier")
            else:
                taken += 1
                changes.append(
                    SuggestionChange(
                        provider=provider.id,
                        workload=workload,
                        model=rec.model,
                        action="updated" if key in existing else "added",
                        rationale=rec.reason,
                        verified=verified(rec.model, listed),
                        cost=rec.cost,
                        speed=rec.speed,
                    )
                )
    return changes, skipped


def propose_retirements(
    provider: Provider,
    listed: ModelList | None,
    today: dt.date,
    stats: Mapping[UsageKey, UsageStats],
) -> list[RetirementProposal]:
    """Active models the provider's model list no longer has. None when the list could not be
    had or is empty (an empty list says more about the endpoint than about the models)."""
    if listed is None or not len(listed):
        return []
    proposals = []
    for model in provider.models:
        if model.active and model.id not in listed:
            usage = {
                w: stats[(provider.id, model.id, w)]
                for w in model.workloads
                if (provider.id, model.id, w) in stats
            }
            proposals.append(
                RetirementProposal(
                    provider=provider.id,
                    model=model.id,
                    workloads=model.workloads,
                    reason=f"not in {provider.id}'s model list (GET /models) on {today.isoformat()}",
                    usage=usage,
                )
            )
    return proposals
