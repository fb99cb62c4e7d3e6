"""Small catalog documents, in the parsed form the loader hands to the rules and the builder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

GROQ = "catalog/providers/groq.yaml"
GEMINI = "catalog/providers/gemini.yaml"
SUGGESTIONS = "catalog/suggestions/groq.yaml"
WORKLOADS = "catalog/workloads.yaml"
CONFIG = "catalog/config.yaml"
WORKLOAD_NAMES = ("chat", "summarisation", "code")


def model(model_id: str, *workloads: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "workloads": list(workloads or ["chat"]),
        "status": "active",
        "added": "2026-11-20",
        **extra,
    }


def provider(name: str, *models: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "provider": name,
        "name": name.title(),
        "api": {"style": "openai", "base_url": f"https://api.{name}.example/v1"},
        "models": list(models) or [model("m1")],
        **extra,
    }


def suggestion(model_id: str, workload: str = "code", **extra: Any) -> dict[str, Any]:
    return {
        "model": model_id,
        "workload": workload,
        "rationale": "good",
        "status": "pending",
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-20T09:00:00Z",
        **extra,
    }


def catalog(**changes: Any) -> dict[str, Any]:
    """A small valid catalog keyed by path; keyword arguments (paths) replace documents, or
    remove them when None."""
    documents: dict[str, Any] = {
        GROQ: provider("groq", model("llama", "chat", "summarisation"), model("qwen", "code")),
        GEMINI: provider("gemini", model("flash", "chat")),
        SUGGESTIONS: {"suggestions": [suggestion("kimi")]},
        WORKLOADS: {"workloads": {w: {"description": w} for w in WORKLOAD_NAMES}},
        CONFIG: {
            "refresh": {"provider": "groq", "model": "llama"},
            "routing": {"provider_order": ["groq", "gemini"]},
            "defaults": {"chat": [{"provider": "gemini", "model": "flash"}]},
        },
    }
    for path, document in changes.items():
        if document is None:
            documents.pop(path)
        else:
            documents[path] = document
    return documents


def edited(path: str, change: Callable[[Any], object]) -> dict[str, Any]:
    """The small catalog with ``change(document)`` applied to a copy of the document at ``path``."""
    documents = catalog()
    document = copy.deepcopy(documents[path])
    change(document)
    documents[path] = document
    return documents
