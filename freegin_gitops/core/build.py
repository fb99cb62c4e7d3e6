"""Turn parsed, valid catalog documents into the typed :class:`Catalog`.

Call only when the schemas and :mod:`freegin_gitops.core.rules` found no problem: the shapes and
dates are trusted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from freegin_gitops.core.catalog import (
    ApiSettings,
    Catalog,
    Config,
    Hints,
    ModelEntry,
    ModelRef,
    Provider,
    RefreshSettings,
    RetiredWorkload,
    RoutingPolicy,
    Suggestion,
    SuggestionSource,
    Workload,
)
from freegin_gitops.core.layout import CONFIG_FILE, PROVIDERS_DIR, SUGGESTIONS_DIR, WORKLOADS_FILE
from freegin_gitops.core.rules import parse_timestamp, stem


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _stamp(value: str) -> dt.datetime:
    parsed = parse_timestamp(value)
    assert parsed is not None, value
    return parsed


def hints_from(raw: Mapping[str, Any] | None) -> Hints:
    return Hints(**raw) if raw else Hints()


def model_from(raw: Mapping[str, Any]) -> ModelEntry:
    return ModelEntry(
        id=raw["id"],
        workloads=tuple(raw["workloads"]),
        status=raw["status"],
        added=_date(raw["added"]),
        hints=hints_from(raw.get("hints")),
        name=raw.get("name"),
        retired=_date(raw["retired"]) if "retired" in raw else None,
        reason=raw.get("reason"),
        retired_workloads=tuple(
            RetiredWorkload(g["workload"], _date(g["retired"]), g.get("reason"))
            for g in raw.get("retired_workloads", [])
        ),
        deprecated=_date(raw["deprecated"]) if "deprecated" in raw else None,
        successor=raw.get("successor"),
        missing_since=_date(raw["missing_since"]) if "missing_since" in raw else None,
        limits=dict(raw.get("limits", {})),
    )


def provider_from(raw: Mapping[str, Any]) -> Provider:
    api = raw["api"]
    return Provider(
        id=raw["provider"],
        name=raw["name"],
        api=ApiSettings(
            style=api["style"],
            base_url=api["base_url"],
            api_key_env=api.get("api_key_env"),
            headers=tuple(sorted(api.get("headers", {}).items())),
            timeout_s=api.get("timeout_s"),
        ),
        models=tuple(model_from(m) for m in raw["models"]),
        limits=dict(raw.get("limits", {})),
        homepage=raw.get("homepage"),
        notes=raw.get("notes"),
    )


def suggestion_from(provider: str, raw: Mapping[str, Any]) -> Suggestion:
    source = raw.get("source")
    return Suggestion(
        provider=provider,
        model=raw["model"],
        workload=raw["workload"],
        rationale=raw["rationale"],
        status=raw["status"],
        created_at=_stamp(raw["created_at"]),
        updated_at=_stamp(raw["updated_at"]),
        cost=raw.get("cost"),
        speed=raw.get("speed"),
        verified=raw.get("verified"),
        source=SuggestionSource(source["provider"], source["model"]) if source else None,
        hints=hints_from(raw.get("hints")),
        reason=raw.get("reason"),
    )


def _refs(raw: list[Mapping[str, Any]]) -> tuple[ModelRef, ...]:
    return tuple(ModelRef(r["provider"], r["model"]) for r in raw)


def config_from(raw: Mapping[str, Any]) -> Config:
    refresh = raw["refresh"]
    routing = raw.get("routing", {})
    return Config(
        refresh=RefreshSettings(
            provider=refresh.get("provider"),
            model=refresh.get("model"),
            per_workload=refresh.get("per_workload", 3),
            fallback=_refs(refresh.get("fallback", [])),
            timeout_s=float(refresh.get("timeout_s", 60)),
            concurrency=refresh.get("concurrency", 8),
            grace_days=refresh.get("grace_days", 14),
            listed_in_prompt=refresh.get("listed_in_prompt", 100),
        ),
        routing=RoutingPolicy(
            include_pending=routing.get("include_pending", False),
            provider_order=tuple(routing.get("provider_order", [])),
            timeout_s=float(routing.get("timeout_s", 30)),
            max_attempts=routing.get("max_attempts", 8),
        ),
        defaults={w: _refs(refs) for w, refs in raw.get("defaults", {}).items()},
    )


def workloads_from(raw: Mapping[str, Any]) -> dict[str, Workload]:
    return {name: Workload(name=name, **spec) for name, spec in raw["workloads"].items()}


def build_catalog(documents: Mapping[str, Any]) -> Catalog:
    """The typed catalog from valid documents keyed by repository-relative path."""
    providers: dict[str, Provider] = {}
    suggestions: dict[str, tuple[Suggestion, ...]] = {}
    for path in sorted(documents):
        doc = documents[path]
        if path.startswith(PROVIDERS_DIR + "/"):
            provider = provider_from(doc)
            providers[provider.id] = provider
        elif path.startswith(SUGGESTIONS_DIR + "/"):
            pid = stem(path)
            suggestions[pid] = tuple(suggestion_from(pid, s) for s in doc["suggestions"])
    workloads = workloads_from(documents[WORKLOADS_FILE])
    return Catalog(
        providers=providers,
        suggestions=suggestions,
        workloads=workloads,
        config=config_from(documents[CONFIG_FILE]),
    )
