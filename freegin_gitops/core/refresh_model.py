"""What a refresh produces: recommendations read from an LLM answer, the suggestion changes and
retirement proposals they lead to, per provider and for the whole run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.usage import UsageStats


@dataclass(frozen=True, slots=True)
class Recommendation:
    model: str
    reason: str
    cost: str | None = None
    speed: str | None = None


@dataclass(frozen=True, slots=True)
class WorkloadRecommendations:
    workload: str
    items: tuple[Recommendation, ...]


@dataclass(frozen=True, slots=True)
class SuggestionChange:
    """A suggestion the refresh adds, or an existing pending one it makes again."""

    provider: str
    workload: str
    model: str
    action: Literal["added", "updated"]
    rationale: str
    verified: bool | None
    cost: str | None = None
    speed: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedRecommendation:
    """A recommendation left out, and why (already active, rejected, repeated, unknown workload)."""

    provider: str
    workload: str
    model: str
    why: str


@dataclass(frozen=True, slots=True)
class RetirementProposal:
    """An active model the provider no longer lists: retired on the refresh branch."""

    provider: str
    model: str
    workloads: tuple[str, ...]
    reason: str
    usage: Mapping[str, UsageStats] = field(default_factory=dict)  # by workload


@dataclass(frozen=True, slots=True)
class ProviderRefresh:
    """The outcome of refreshing one provider."""

    provider: str
    answered_by: ModelRef | None
    model_list: Literal["fetched", "unavailable"]
    changes: tuple[SuggestionChange, ...] = ()
    retirements: tuple[RetirementProposal, ...] = ()
    skipped: tuple[SkippedRecommendation, ...] = ()
    usage: Mapping[tuple[str, str], UsageStats] = field(default_factory=dict)  # (model, workload)
    model_list_error: str | None = None
    failure: str | None = None  # why this provider could not be refreshed (nothing of it applied)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.retirements)


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """Every provider's outcome, the branch they were written to and the base it came from."""

    scope: str  # a provider id, or "all"
    branch: str
    base: str
    providers: tuple[ProviderRefresh, ...]

    @property
    def changes(self) -> list[SuggestionChange]:
        return [c for p in self.providers for c in p.changes]

    @property
    def failed(self) -> list[ProviderRefresh]:
        """The providers that could not be refreshed this time."""
        return [p for p in self.providers if p.failure is not None]

    @property
    def retirements(self) -> list[RetirementProposal]:
        return [r for p in self.providers for r in p.retirements]

    @property
    def has_changes(self) -> bool:
        return any(p.has_changes for p in self.providers)

    def digest(self) -> str:
        """A hash of what the refresh proposes (not of when): the PR body's hidden marker."""
        items = sorted(
            json.dumps(["s", c.provider, c.workload, c.model, c.verified, c.rationale, c.cost, c.speed])
            for c in self.changes
        ) + sorted(json.dumps(["r", r.provider, r.model, list(r.workloads)]) for r in self.retirements)
        return hashlib.sha256("\n".join(items).encode()).hexdigest()
