"""The compiled catalog: one deterministic JSON document the router loads at start-up.

Same inputs, same bytes: keys are emitted in a fixed order, nothing depends on the clock, and the
``source`` block records the commit, whether the catalog had uncommitted changes, and a hash of the
input files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from freegin_gitops.core import json_text
from freegin_gitops.core.catalog import Catalog, ModelEntry, Provider

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class SourceInfo:
    content_sha256: str
    commit: str | None = None
    dirty: bool | None = None


def provider_rank(order: Iterable[str], providers: Iterable[str]) -> list[str]:
    """Providers in routing order: those named in ``order`` first, in that order; the rest
    alphabetically."""
    known = set(providers)
    first = [p for p in order if p in known]
    return first + sorted(known - set(first))


def _api(provider: Provider) -> dict[str, Any]:
    api: dict[str, Any] = {"style": provider.api.style, "base_url": provider.api.base_url}
    if provider.api.api_key_env:
        api["api_key_env"] = provider.api.api_key_env
    if provider.api.headers:
        api["headers"] = dict(provider.api.headers)
    if provider.api.timeout_s is not None:
        api["timeout_s"] = provider.api.timeout_s
    return api


def _provider(provider: Provider) -> dict[str, Any]:
    out: dict[str, Any] = {"name": provider.name, "api": _api(provider), "limits": _json(provider.limits)}
    own = {m.id: _json(m.limits) for m in provider.models if m.limits and m.status != "retired"}
    if own:
        out["model_limits"] = own
    return out


def _json(limits: Mapping[str, Any]) -> dict[str, Any]:
    """Limits as JSON: a date (``checked``) as its ISO text."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in limits.items()}


def _deprecated(provider: str, model: ModelEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": provider, "model": model.id, "hints": model.hints.as_dict()}
    entry["deprecated"] = model.deprecated.isoformat() if model.deprecated else None
    if model.reason:
        entry["reason"] = model.reason
    if model.successor:
        entry["successor"] = model.successor
    return entry


def compile_catalog(catalog: Catalog, source: SourceInfo) -> dict[str, Any]:
    """The compiled document for ``catalog``."""
    config = catalog.config
    order = provider_rank(config.routing.provider_order, catalog.providers)
    candidates: dict[str, Any] = {}
    for workload in sorted(catalog.workloads):
        active = [
            {"provider": pid, "model": m.id, "hints": m.hints.as_dict()}
            for pid in order
            for m in catalog.providers[pid].models
            if m.serves(workload)
        ]
        deprecated = [
            _deprecated(pid, m)
            for pid in order
            for m in catalog.providers[pid].models
            if m.status == "deprecated" and workload in m.workloads
        ]
        pending = [
            {"provider": pid, "model": s.model, "verified": s.verified}
            for pid in order
            for s in catalog.suggestions.get(pid, ())
            if s.workload == workload and s.status == "pending"
        ]
        defaults = [
            {"provider": ref.provider, "model": ref.model} for ref in config.defaults.get(workload, ())
        ]
        candidates[workload] = {
            "active": active,
            "deprecated": deprecated,
            "pending": pending,
            "defaults": defaults,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "commit": source.commit,
            "dirty": source.dirty,
            "content_sha256": source.content_sha256,
        },
        "routing": {
            "include_pending": config.routing.include_pending,
            "provider_order": order,
            "timeout_s": config.routing.timeout_s,
            "max_attempts": config.routing.max_attempts,
        },
        "refresh": {
            **(
                {"provider": config.refresh.provider, "model": config.refresh.model}
                if config.refresh.provider is not None
                else {}
            ),
            "per_workload": config.refresh.per_workload,
            "fallback": [{"provider": r.provider, "model": r.model} for r in config.refresh.fallback],
            "timeout_s": config.refresh.timeout_s,
            "concurrency": config.refresh.concurrency,
            "grace_days": config.refresh.grace_days,
            "listed_in_prompt": config.refresh.listed_in_prompt,
        },
        "workloads": {
            name: {
                k: v
                for k, v in (
                    ("description", w.description),
                    ("max_latency_ms", w.max_latency_ms),
                    ("max_cost", w.max_cost),
                    ("min_context_window", w.min_context_window),
                )
                if v is not None
            }
            for name, w in sorted(catalog.workloads.items())
        },
        "providers": {pid: _provider(p) for pid, p in sorted(catalog.providers.items())},
        "candidates": candidates,
    }


def render(document: Mapping[str, Any]) -> bytes:
    """Serialise a compiled document: stable, UTF-8, two-space indent, trailing newline."""
    return json_text.pretty(document) + b"\n"


def comparable(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document without ``source.commit`` and ``source.dirty``, which change whenever the
    compiled file itself is committed; ``compile --check`` compares these."""
    copy = dict(document)
    source = dict(copy.get("source") or {})
    source.pop("commit", None)
    source.pop("dirty", None)
    copy["source"] = source
    return copy
