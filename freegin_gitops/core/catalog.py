"""The catalog as typed, immutable data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ModelStatus = Literal["active", "deprecated", "retired"]
SuggestionStatus = Literal["pending", "adopted", "rejected"]


@dataclass(frozen=True, slots=True)
class Hints:
    context_window: int | None = None
    max_output_tokens: int | None = None
    speed: str | None = None
    quality: str | None = None
    cost: str | None = None
    reasoning: bool | None = None
    notes: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class RetiredWorkload:
    workload: str
    retired: dt.date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ModelEntry:
    id: str
    workloads: tuple[str, ...]
    status: ModelStatus
    added: dt.date
    hints: Hints = Hints()
    name: str | None = None
    retired: dt.date | None = None
    reason: str | None = None
    retired_workloads: tuple[RetiredWorkload, ...] = ()
    deprecated: dt.date | None = None  # when it was deprecated (still routed, after active ones)
    successor: str | None = None  # the model of the same provider that replaces it
    missing_since: dt.date | None = None  # set by refresh: first missing from the model list
    limits: Mapping[str, object] = field(default_factory=dict)  # the model's own free-tier limits

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def usable(self) -> bool:
        """Routed to: active, or deprecated (after every active model of the workload)."""
        return self.status in ("active", "deprecated")

    def serves(self, workload: str) -> bool:
        """True when the model is active and serves ``workload``."""
        return self.status == "active" and workload in self.workloads


@dataclass(frozen=True, slots=True)
class ApiSettings:
    style: str
    base_url: str
    api_key_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    api: ApiSettings
    models: tuple[ModelEntry, ...]
    limits: Mapping[str, object] = field(default_factory=dict)
    homepage: str | None = None
    notes: str | None = None

    def model(self, model_id: str) -> ModelEntry | None:
        for entry in self.models:
            if entry.id == model_id:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class SuggestionSource:
    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    provider: str
    model: str
    workload: str
    rationale: str
    status: SuggestionStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    cost: str | None = None
    speed: str | None = None
    verified: bool | None = None
    source: SuggestionSource | None = None
    hints: Hints = Hints()
    reason: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.provider, self.workload, self.model)


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    description: str
    max_latency_ms: int | None = None
    max_cost: str | None = None
    min_context_window: int | None = None
    guidance: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A provider and one of its models."""

    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class RefreshSettings:
    """How refresh asks; no ``provider``/``model`` (a catalog started empty): saved answers only."""

    provider: str | None = None
    model: str | None = None
    per_workload: int = 3
    fallback: tuple[ModelRef, ...] = ()
    timeout_s: float = 60.0
    concurrency: int = 8
    grace_days: int = 14  # how long a deprecated model may stay missing before it is retired
    listed_in_prompt: int = 100  # most ids of the provider's model list a refresh prompt carries


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    include_pending: bool = False
    provider_order: tuple[str, ...] = ()
    timeout_s: float = 30.0
    max_attempts: int = 8


@dataclass(frozen=True, slots=True)
class Config:
    refresh: RefreshSettings
    routing: RoutingPolicy = RoutingPolicy()
    defaults: Mapping[str, tuple[ModelRef, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything under ``catalog/``, providers sorted by id."""

    providers: Mapping[str, Provider]
    suggestions: Mapping[str, tuple[Suggestion, ...]]
    workloads: Mapping[str, Workload]
    config: Config

    def provider(self, provider_id: str) -> Provider | None:
        return self.providers.get(provider_id)
