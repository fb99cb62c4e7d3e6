"""The typed catalog: which models are routed to, lookups, and the documented defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core.catalog import (
    ApiSettings,
    Catalog,
    Config,
    Hints,
    ModelEntry,
    Provider,
    RefreshSettings,
    RoutingPolicy,
    Suggestion,
)

DAY = dt.date(2026, 11, 20)


def entry(model_id: str, status: str = "active", *workloads: str) -> ModelEntry:
    return ModelEntry(model_id, workloads or ("chat",), status, DAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "active", "usable"),
    [("active", True, True), ("deprecated", False, True), ("retired", False, False)],
)
def test_only_active_and_deprecated_models_are_routed_to(status: str, active: bool, usable: bool) -> None:
    model = entry("m", status)
    assert (model.active, model.usable) == (active, usable)


def test_an_active_model_serves_only_its_workloads() -> None:
    model = entry("m", "active", "chat", "code")
    assert (model.serves("chat"), model.serves("code"), model.serves("summarisation")) == (True, True, False)


@pytest.mark.parametrize("status", ["deprecated", "retired"])
def test_a_model_that_is_not_active_serves_nothing(status: str) -> None:
    assert entry("m", status, "chat").serves("chat") is False


def test_a_provider_finds_its_models_by_id() -> None:
    first, second = entry("a"), entry("b")
    groq = Provider("groq", "Groq", ApiSettings("openai", "https://x"), (first, second))
    assert (groq.model("b"), groq.model("a"), groq.model("c")) == (second, first, None)
    catalog = Catalog({"groq": groq}, {}, {}, Config(RefreshSettings()))
    assert (catalog.provider("groq"), catalog.provider("gemini")) == (groq, None)


def test_hints_as_a_dict_hold_only_what_is_set() -> None:
    assert Hints(context_window=8192, reasoning=False, notes="n").as_dict() == {
        "context_window": 8192,
        "reasoning": False,
        "notes": "n",
    }
    assert Hints().as_dict() == {}


def test_a_suggestion_is_keyed_by_provider_workload_and_model() -> None:
    stamp = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    suggestion = Suggestion("groq", "kimi", "code", "good", "pending", stamp, stamp)
    assert suggestion.key == ("groq", "code", "kimi")


def test_settings_built_in_code_have_the_documented_defaults() -> None:
    refresh, routing = RefreshSettings(), RoutingPolicy()
    assert (refresh.per_workload, refresh.timeout_s, refresh.concurrency) == (3, 60.0, 8)
    assert (refresh.grace_days, refresh.listed_in_prompt, refresh.fallback) == (14, 100, ())
    assert (routing.include_pending, routing.timeout_s, routing.max_attempts) == (False, 30.0, 8)
