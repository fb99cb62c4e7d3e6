"""What a refresh produces: recommendations read from an LLM answer, the suggestion changes and
lifecycle proposals they lead to, per provider and for the whole run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.limit_corrections import LimitCorrection, LimitUnresolved
from freegin_gitops.core.usage import UsageStats

LifecycleChange = Literal["deprecate", "retire", "reactivate"]


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
    """A suggestion the refresh adds, or an existing pending one it makes again with something
    new (verification, cost, speed or context window), with the evidence a reviewer decides on."""

    provider: str
    workload: str
    model: str
    action: Literal["added", "updated"]
    rationale: str
    verified: bool | None
    cost: str | None = None
    speed: str | None = None
    listed_since: dt.date | None = None  # the list's "created", when it gives one
    context_window: int | None = None  # from the provider's model list


@dataclass(frozen=True, slots=True)
class SkippedRecommendation:
    """A recommendation left out, and why (already active, rejected, over the workload's cost,
    nothing new, unknown workload, ...)."""

    provider: str
    workload: str
    model: str
    why: str


@dataclass(frozen=True, slots=True)
class UnlistedRecommendation:
    """A recommendation the provider's model list does not hold: not written as a suggestion
    (unless ``--keep-unlisted``), shown in the pull request under "not served by the provider"."""

    provider: str
    workload: str
    model: str
    rationale: str


@dataclass(frozen=True, slots=True)
class LifecycleProposal:
    """A model of the provider file moving on: deprecated (missing from the provider's list),
    retired (still missing after the grace period) or active again (listed again)."""

    provider: str
    model: str
    change: LifecycleChange
    workloads: tuple[str, ...]
    reason: str
    deprecated: dt.date | None = None  # for a retirement or reactivation: since when
    missing_since: dt.date | None = None  # first seen missing (today, for a deprecation)
    missing_days: int | None = None
    successor: str | None = None  # the successor the model names, if any
    # Deprecated models that named this one as their successor: it is not active any more, so
    # their successor is removed (validation requires an active successor).
    orphans: tuple[str, ...] = ()
    usage: Mapping[str, UsageStats] = field(default_factory=dict)  # by workload


@dataclass(frozen=True, slots=True)
class ProviderRefresh:
    """The outcome of refreshing one provider."""

    provider: str
    answered_by: ModelRef | None
    model_list: Literal["fetched", "unavailable"]
    changes: tuple[SuggestionChange, ...] = ()
    lifecycle: tuple[LifecycleProposal, ...] = ()
    skipped: tuple[SkippedRecommendation, ...] = ()
    unlisted: tuple[UnlistedRecommendation, ...] = ()
    usage: Mapping[tuple[str, str], UsageStats] = field(default_factory=dict)  # (model, workload)
    model_list_error: str | None = None
    listed: int | None = None  # how many models the list holds
    suspect: str | None = None  # why the list is not trusted for the provider's models
    failure: str | None = None  # why this provider could not be refreshed (nothing of it applied)
    # catalog limits the provider's rate-limit headers contradict, and those that cannot be told
    limit_corrections: tuple[LimitCorrection, ...] = ()
    limits_unresolved: tuple[LimitUnresolved, ...] = ()

    def proposals(self, change: LifecycleChange) -> list[LifecycleProposal]:
        return [p for p in self.lifecycle if p.change == change]


@dataclass(frozen=True, slots=True)
class ProviderSkipped:
    """A provider left out of the refresh before anything was asked, and why."""

    provider: str
    reason: str


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """Every provider's outcome, the branch they were written to and the base it came from."""

    scope: str  # a provider id, or "all"
    branch: str
    base: str
    providers: tuple[ProviderRefresh, ...]
    skipped: tuple[ProviderSkipped, ...] = ()

    @property
    def changes(self) -> list[SuggestionChange]:
        return [c for p in self.providers for c in p.changes]

    @property
    def failed(self) -> list[ProviderRefresh]:
        """The providers that could not be refreshed this time."""
        return [p for p in self.providers if p.failure is not None]

    @property
    def lifecycle(self) -> list[LifecycleProposal]:
        return [r for p in self.providers for r in p.lifecycle]

    def proposals(self, change: LifecycleChange) -> list[LifecycleProposal]:
        return [r for p in self.providers for r in p.proposals(change)]

    @property
    def deprecations(self) -> list[LifecycleProposal]:
        return self.proposals("deprecate")

    @property
    def retirements(self) -> list[LifecycleProposal]:
        return self.proposals("retire")

    @property
    def reactivations(self) -> list[LifecycleProposal]:
        return self.proposals("reactivate")

    @property
    def unlisted(self) -> list[UnlistedRecommendation]:
        return [u for p in self.providers for u in p.unlisted]

    @property
    def limit_corrections(self) -> list[LimitCorrection]:
        return [c for p in self.providers for c in p.limit_corrections]

    @property
    def limits_unresolved(self) -> list[LimitUnresolved]:
        return [u for p in self.providers for u in p.limits_unresolved]

    def digest(self) -> str:
        """A hash of what the refresh writes (not of when): the PR body's hidden marker."""
        items = sorted(
            json.dumps(
                [
                    "s",
                    c.provider,
                    c.workload,
                    c.model,
                    c.verified,
                    c.rationale,
                    c.cost,
                    c.speed,
                    c.context_window,
                ]
            )
            for c in self.changes
        ) + sorted(
            json.dumps(["l", r.change, r.provider, r.model, list(r.workloads), list(r.orphans)])
            for r in self.lifecycle
        )
        limits = self.limit_corrections
        items += sorted(json.dumps(["limit", c.provider, c.model, c.key, c.reported]) for c in limits)
        return hashlib.sha256("\n".join(items).encode()).hexdigest()
