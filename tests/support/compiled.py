"""Compiled catalog documents built in memory, for tests of planning and routing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from freegin_gitops.core.compiled_catalog import CompiledCatalog


def api(
    base_url: str = "http://127.0.0.1:9/v1",
    key_env: str | None = None,
    style: str = "openai",
    headers: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """A provider's ``api`` section."""
    section: dict[str, Any] = {"style": style, "base_url": base_url}
    if key_env:
        section["api_key_env"] = key_env
    if headers:
        section["headers"] = dict(headers)
    if timeout_s is not None:
        section["timeout_s"] = timeout_s
    return section


def compiled_catalog(
    providers: Mapping[str, Mapping[str, Any]],
    chat: Sequence[tuple[str, str]],
    *,
    max_attempts: int = 8,
    timeout_s: float = 30.0,
    limits: Mapping[str, Mapping[str, Any]] | None = None,
    model_limits: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> CompiledCatalog:
    """A compiled catalog whose ``chat`` workload has the active candidates ``chat``, in order;
    ``providers`` maps each provider id to its ``api`` section (see :func:`api`); ``limits`` gives
    providers' limits, ``model_limits`` models' own, by (provider, model)."""
    document: dict[str, Any] = {
        "schema_version": 1,
        "source": {"commit": None, "dirty": None, "content_sha256": "0" * 64},
        "routing": {
            "include_pending": False,
            "provider_order": list(providers),
            "timeout_s": timeout_s,
            "max_attempts": max_attempts,
        },
        "refresh": {},
        "workloads": {"chat": {"description": "chat"}},
        "providers": {
            p: {"name": p.title(), "api": dict(a), "limits": dict((limits or {}).get(p, {}))}
            for p, a in providers.items()
        },
        "candidates": {
            "chat": {
                "active": [{"provider": p, "model": m, "hints": {}} for p, m in chat],
                "pending": [],
                "defaults": [],
            }
        },
    }
    for (p, m), own in (model_limits or {}).items():
        document["providers"][p].setdefault("model_limits", {})[m] = dict(own)
    return CompiledCatalog(document)
