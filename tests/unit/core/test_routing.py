"""Candidate ordering over a compiled catalog (pure: no files, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from freegin_gitops.core.compiled_catalog import CompiledCatalog
from freegin_gitops.core.routing import select_candidates
from freegin_gitops.errors import NotFound


def compiled(
    active: list[tuple[str, str]],
    pending: list[tuple[str, str]] = (),  # type: ignore[assignment]
    defaults: list[tuple[str, str]] = (),  # type: ignore[assignment]
    include_pending: bool = False,
    deprecated: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> CompiledCatalog:
    providers = sorted({p for p, _ in [*active, *pending, *defaults, *deprecated]})
    refs = lambda pairs: [{"provider": p, "model": m} for p, m in pairs]  # noqa: E731
    document: dict[str, Any] = {
        "schema_version": 1,
        "source": {"commit": None, "dirty": None, "content_sha256": "0" * 64},
        "routing": {
            "include_pending": include_pending,
            "provider_order": providers,
            "timeout_s": 30.0,
            "max_attempts": 8,
        },
        "refresh": {},
        "workloads": {"chat": {"description": "chat"}, "code": {"description": "code"}},
        "providers": {
            p: {"name": p, "api": {"style": "openai", "base_url": f"http://{p}"}, "limits": {}}
            for p in providers
        },
        "candidates": {
            "chat": {
                "active": [dict(r, hints={}) for r in refs(active)],
                "deprecated": [dict(r, hints={}, deprecated="2026-11-22") for r in refs(deprecated)],
                "pending": [dict(r, verified=None) for r in refs(pending)],
                "defaults": refs(defaults),
            },
            "code": {"active": [], "deprecated": [], "pending": [], "defaults": []},
        },
    }
    return CompiledCatalog(document)


def pairs(cands) -> list[tuple[str, str, str]]:
    return [(c.provider, c.model, c.origin) for c in cands]


def test_active_models_in_compiled_order():
    cat = compiled([("a", "1"), ("a", "2"), ("b", "3")], pending=[("a", "p")])
    assert pairs(select_candidates(cat, "chat")) == [
        ("a", "1", "catalog"),
        ("a", "2", "catalog"),
        ("b", "3", "catalog"),
    ]


def test_pending_follow_active_only_when_included():
    cat = compiled([("a", "1")], pending=[("b", "p")], include_pending=True)
    assert pairs(select_candidates(cat, "chat")) == [("a", "1", "catalog"), ("b", "p", "pending")]


def test_defaults_when_no_active_model():
    cat = compiled([], pending=[("b", "p")], defaults=[("c", "d")])
    assert pairs(select_candidates(cat, "chat")) == [("c", "d", "default")]


def test_pending_suggestions_when_no_defaults_either():
    cat = compiled([], pending=[("b", "p")])
    assert pairs(select_candidates(cat, "chat")) == [("b", "p", "pending")]


def test_provider_and_model_name_exactly_one_candidate_even_outside_the_catalog():
    cat = compiled([("a", "1")])
    assert pairs(select_candidates(cat, "chat", "zzz", "custom")) == [("zzz", "custom", "override")]


def test_provider_alone_restricts_every_rule():
    cat = compiled([("a", "1"), ("b", "2")], defaults=[("b", "d")])
    assert pairs(select_candidates(cat, "chat", "b")) == [("b", "2", "catalog")]
    cat = compiled([("a", "1")], defaults=[("b", "d")])
    assert pairs(select_candidates(cat, "chat", "b")) == [("b", "d", "default")]


def test_model_alone_keeps_that_model_at_every_provider():
    cat = compiled([("a", "m"), ("b", "x"), ("b", "m")])
    assert pairs(select_candidates(cat, "chat", model="m")) == [("a", "m", "catalog"), ("b", "m", "catalog")]


def test_unknown_workload_and_provider_are_named():
    cat = compiled([("a", "1")])
    with pytest.raises(NotFound, match="unknown workload 'chta'; did you mean 'chat'"):
        select_candidates(cat, "chta")
    with pytest.raises(NotFound, match="unknown provider 'x'"):
        select_candidates(cat, "chat", "x")


def test_selection_without_filters_reuses_the_same_tuple():
    cat = compiled([("a", str(i)) for i in range(1000)])
    assert select_candidates(cat, "chat") is select_candidates(cat, "chat")


def test_deprecated_models_come_after_every_active_one_of_the_workload():
    cat = compiled([("a", "1"), ("b", "2")], deprecated=[("a", "old"), ("b", "older")])
    assert pairs(select_candidates(cat, "chat")) == [
        ("a", "1", "catalog"),
        ("b", "2", "catalog"),
        ("a", "old", "deprecated"),
        ("b", "older", "deprecated"),
    ]


def test_deprecated_models_come_before_pending_suggestions_and_defaults():
    cat = compiled(
        [("a", "1")],
        pending=[("a", "p")],
        defaults=[("b", "d")],
        include_pending=True,
        deprecated=[("a", "old")],
    )
    assert [c.model for c in select_candidates(cat, "chat")] == ["1", "old", "p"]


def test_only_deprecated_models_are_still_catalog_candidates_before_defaults():
    cat = compiled([], defaults=[("b", "d")], deprecated=[("a", "old")])
    assert pairs(select_candidates(cat, "chat")) == [("a", "old", "deprecated")]


def test_a_provider_restriction_keeps_its_deprecated_models_last():
    cat = compiled([("a", "1"), ("b", "2")], deprecated=[("a", "old"), ("b", "older")])
    assert [c.model for c in select_candidates(cat, "chat", provider="a")] == ["1", "old"]
    assert [c.model for c in select_candidates(cat, "chat", model="older")] == ["older"]


def test_a_deprecation_says_since_when_and_why():
    cat = compiled([("a", "1")], deprecated=[("a", "old")])
    assert cat.deprecation("a", "old") == ("2026-11-22", None, None)
    assert cat.deprecation("a", "1") is None


def test_a_cached_view_from_before_deprecation_has_no_deprecated_candidates():
    cat = compiled([("a", "1")])
    del cat.document["candidates"]["chat"]["deprecated"]
    assert pairs(select_candidates(cat, "chat")) == [("a", "1", "catalog")]
    assert cat.deprecation("a", "1") is None
