"""Rows of ``list-models``: catalog entries and suggestions, filtered and ordered."""

from __future__ import annotations

from typing import Any

import pytest

from freegin_gitops.core.build import build_catalog
from freegin_gitops.core.listing import STATUSES, ModelRow, model_rows
from freegin_gitops.core.usage import UsageStats
from tests.documents import GROQ, SUGGESTIONS, catalog, model, provider, suggestion

STATS = UsageStats(
    calls=4, successes=3, mean_latency_ms=250.0, p95_latency_ms=400.0, last_used="2026-11-24T10:00:00.000Z"
)


def rows(documents: dict[str, Any] | None = None, **filters: Any) -> list[ModelRow]:
    return model_rows(build_catalog(documents or catalog()), {}, **filters)


def keys(found: list[ModelRow]) -> list[tuple[str, str, str, str]]:
    return [(r.provider, r.workload, r.model, r.status) for r in found]


def test_default_rows_are_active_and_deprecated_models_and_pending_suggestions() -> None:
    old = model("old", "code", status="deprecated", deprecated="2026-11-22")
    gone = model("gone", "code", status="retired", retired="2026-11-22")
    documents = catalog(**{GROQ: provider("groq", model("qwen", "code"), old, gone)})
    assert keys(rows(documents, provider="groq")) == [
        ("groq", "code", "qwen", "active"),
        ("groq", "code", "old", "deprecated"),
        ("groq", "code", "kimi", "pending"),
    ]
    assert keys(rows()) == [
        ("gemini", "chat", "flash", "active"),
        ("groq", "chat", "llama", "active"),
        ("groq", "code", "qwen", "active"),
        ("groq", "code", "kimi", "pending"),
        ("groq", "summarisation", "llama", "active"),
    ]


def test_rows_keep_preference_order_within_a_provider_and_workload() -> None:
    documents = catalog(**{GROQ: provider("groq", model("b"), model("a"), model("c"))})
    assert [r.model for r in rows(documents, provider="groq", workload="chat")] == ["b", "a", "c"]


def test_filter_by_provider() -> None:
    assert {r.provider for r in rows(provider="gemini")} == {"gemini"}


def test_filter_by_workload() -> None:
    assert {r.workload for r in rows(workload="code")} == {"code"}


@pytest.mark.parametrize("status", STATUSES)
def test_filter_by_status(status: str) -> None:
    old = model("old", status="retired", retired="2026-11-21")
    dying = model("dying", status="deprecated", deprecated="2026-11-21")
    reviewed = [
        suggestion("p", status="pending"),
        suggestion("a", status="adopted"),
        suggestion("r", status="rejected", reason="slow"),
    ]
    documents = catalog(
        **{GROQ: provider("groq", model("live"), old, dying), SUGGESTIONS: {"suggestions": reviewed}}
    )
    found = rows(documents, statuses=(status,))
    assert found and {r.status for r in found} == {status}


def test_a_retired_workload_is_listed_as_retired_with_its_reason() -> None:
    gone = [{"workload": "code", "retired": "2026-11-21", "reason": "too slow"}]
    documents = catalog(**{GROQ: provider("groq", model("m", "chat", retired_workloads=gone))})
    found = rows(documents, provider="groq", workload="code", statuses=("retired",))
    assert [(r.model, r.status, r.note) for r in found] == [("m", "retired", "too slow")]


def test_a_deprecated_model_notes_since_when_why_and_its_successor() -> None:
    old = model("old", status="deprecated", deprecated="2026-11-22", reason="gone", successor="m")
    documents = catalog(**{GROQ: provider("groq", model("m"), old)})
    found = rows(documents, provider="groq", statuses=("deprecated",))
    assert [(r.model, r.note) for r in found] == [("old", "deprecated 2026-11-22; gone; successor m")]


def test_an_active_model_has_no_note_and_a_retired_one_its_reason() -> None:
    gone = model("gone", status="retired", retired="2026-11-22", reason="dropped", successor="m")
    documents = catalog(**{GROQ: provider("groq", model("m", reason="kept"), gone)})
    found = rows(documents, provider="groq", statuses=("active", "retired"))
    assert [(r.model, r.note) for r in found] == [("m", None), ("gone", "dropped; successor m")]


def test_a_pending_suggestion_notes_its_rationale_and_verification() -> None:
    documents = catalog(**{SUGGESTIONS: {"suggestions": [suggestion("k", verified=True)]}})
    row = rows(documents, workload="code", statuses=("pending",))[0]
    assert (row.origin, row.verified, row.note) == ("suggestion", True, "good")


def test_usage_figures_are_attached_by_provider_model_and_workload() -> None:
    found = model_rows(build_catalog(catalog()), {("groq", "llama", "chat"): STATS})
    with_usage = [(r.provider, r.model, r.workload) for r in found if r.usage is not None]
    assert with_usage == [("groq", "llama", "chat")]


def test_json_row_carries_usage_figures() -> None:
    stats = {("groq", "llama", "chat"): STATS}
    found = model_rows(build_catalog(catalog()), stats, provider="groq", workload="chat")
    assert found[0].as_json() == {
        "provider": "groq",
        "workload": "chat",
        "model": "llama",
        "status": "active",
        "origin": "catalog",
        "verified": None,
        "context_window": None,
        "note": None,
        "calls": 4,
        "success_rate": 0.75,
        "mean_latency_ms": 250.0,
        "p95_latency_ms": 400.0,
        "last_used": "2026-11-24T10:00:00.000Z",
        "budget": None,
    }


def test_json_row_without_usage_has_null_figures() -> None:
    document = rows(provider="gemini")[0].as_json()
    assert [document[k] for k in ("calls", "success_rate", "last_used")] == [None, None, None]


def test_a_retired_model_that_was_deprecated_first_notes_only_why_it_went() -> None:
    # the schema keeps `deprecated` on a retired model; the note says why it went, not since when
    gone = model("gone", status="retired", deprecated="2026-11-20", retired="2026-11-22", reason="dropped")
    documents = catalog(**{GROQ: provider("groq", model("m"), gone)})
    found = rows(documents, provider="groq", statuses=("retired",))
    assert [(r.model, r.note) for r in found] == [("gone", "dropped")]
