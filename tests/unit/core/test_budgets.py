"""A candidate's budgets: limits of the model and of its provider, the windows to count, what is
left, the sentences shown, and what a 429 cools down."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.core.budgets import (
    NO_LIMITS,
    Limits,
    budget_cell,
    budget_json,
    cooldown_scope,
    plan_budget,
)
from freegin_gitops.core.usage import WindowQuery, WindowUsage

NOW = dt.datetime(2026, 11, 25, 10, 0, 30, tzinfo=dt.UTC).timestamp()
MIDNIGHT = dt.datetime(2026, 11, 25, tzinfo=dt.UTC).timestamp()


def test_limits_keep_the_counted_keys_and_inherit_day_resets() -> None:
    raw = {"requests_per_day": 1000, "tokens_per_minute": 6000.0, "tokens_per_month": 10**9, "notes": "x"}
    limits = Limits.from_mapping(raw)
    assert limits.caps == {("requests", "day"): 1000, ("tokens", "minute"): 6000}
    assert limits.day_resets == "utc-midnight" and limits.periods() == ["minute", "day"]
    assert Limits.from_mapping({"requests_per_day": 5}, "pacific-midnight").day_resets == "pacific-midnight"
    own = Limits.from_mapping({"requests_per_day": 5, "day_resets": "rolling"}, "pacific-midnight")
    assert own.day_resets == "rolling"
    assert not Limits.from_mapping({"requests_per_day": True, "notes": "n"}).declared
    assert not Limits.from_mapping(None).declared


def test_a_plan_counts_each_scope_and_period_once() -> None:
    model = Limits.from_mapping({"requests_per_minute": 30, "requests_per_day": 1000, "tokens_per_day": 500})
    provider = Limits.from_mapping({"requests_per_day": 50})
    plan = plan_budget("groq", "m", model, provider, NOW)
    assert plan.queries() == [
        WindowQuery("groq", "m", NOW - 60 + 0.001),
        WindowQuery("groq", "m", MIDNIGHT),
        WindowQuery("groq", None, MIDNIGHT),
    ]
    state = plan.state(
        [WindowUsage(3, 0, NOW - 30), WindowUsage(999, 500, MIDNIGHT + 5), WindowUsage(12, 0, None)]
    )
    assert [
        (b.scope, b.kind, b.window.period, b.limit, b.used, b.remaining, b.spent) for b in state.budgets
    ] == [
        ("model", "requests", "minute", 30, 3, 27, False),
        ("model", "requests", "day", 1000, 999, 1, False),
        ("model", "tokens", "day", 500, 500, 0, True),
        ("provider", "requests", "day", 50, 12, 38, False),
    ]
    assert state.spent is state.budgets[2]
    assert state.skip_reason() == "budget spent: 500/500 tokens today, resets 00:00 UTC"
    assert state.tightest is state.budgets[2]
    assert plan_budget("x", "m", NO_LIMITS, NO_LIMITS, NOW).queries() == []


def test_sentences_for_each_window() -> None:
    model = Limits.from_mapping(
        {"requests_per_minute": 2, "requests_per_day": 1000, "requests_per_hour": 900}
    )
    plan = plan_budget(
        "groq", "m", model, Limits.from_mapping({"requests_per_day": 50, "day_resets": "rolling"}), NOW
    )
    oldest = dt.datetime(2026, 11, 25, 10, 0, 1, tzinfo=dt.UTC).timestamp()
    state = plan.state(
        [
            WindowUsage(2, 0, oldest),
            WindowUsage(10, 0, oldest),
            WindowUsage(1003, 0, oldest),
            WindowUsage(50, 0, oldest),
        ]
    )
    minute, hour, day, shared = state.budgets
    assert minute.spent_reason() == "budget spent: 2/2 requests in the last minute, frees up at 10:01:01 UTC"
    assert hour.headroom() == "890 of 900 requests left in the last hour"
    assert day.spent_reason() == "budget spent: 1,003/1,000 requests today, resets 00:00 UTC"
    assert shared.spent_reason() == (
        "budget spent: 50/50 requests in the last 24 hours for all groq models, frees up at 10:00:01 UTC"
    )
    assert state.spent is shared  # of the spent ones, it frees up last (tomorrow 10:00:01)
    assert budget_cell(state) == shared.spent_reason()
    summary = budget_json(state)
    assert summary is not None and summary["spent"] is True and summary["reason"] == shared.spent_reason()
    assert summary["limits"][2] == {  # type: ignore[index]
        "scope": "model",
        "kind": "requests",
        "period": "day",
        "day_resets": "utc-midnight",
        "limit": 1000,
        "used": 1003,
        "remaining": 0,
        "spent": True,
        "resets_at": "2026-11-26T00:00:00Z",
    }
    assert summary["limits"][0]["day_resets"] is None  # type: ignore[index]


def test_a_pacific_reset_is_shown_in_both_clocks_and_unspent_budgets_show_headroom() -> None:
    model = Limits.from_mapping({"requests_per_day": 20}, "pacific-midnight")
    state = plan_budget("gemini", "m", model, NO_LIMITS, NOW).state([WindowUsage(20, 0, NOW - 5)])
    assert state.skip_reason() == "budget spent: 20/20 requests today, resets 00:00 Pacific (08:00 UTC)"
    fresh = plan_budget("gemini", "m", model, NO_LIMITS, NOW).state([WindowUsage(2, 0, NOW - 5)])
    assert (fresh.spent, fresh.skip_reason(), budget_cell(fresh)) == (
        None,
        None,
        "18 of 20 requests left today",
    )
    assert budget_json(None) is None and budget_cell(None) == ""


def test_the_tightest_budget_is_the_smallest_share_left() -> None:
    model = Limits.from_mapping({"requests_per_minute": 30, "requests_per_day": 1000})
    state = plan_budget("p", "m", model, NO_LIMITS, NOW).state(
        [WindowUsage(10, 0, NOW), WindowUsage(900, 0, NOW)]
    )
    assert budget_cell(state) == "100 of 1,000 requests left today"


def test_a_429_cools_down_the_model_unless_only_the_provider_declares_limits() -> None:
    some = Limits.from_mapping({"requests_per_day": 5})
    assert cooldown_scope(some, NO_LIMITS) == "model"
    assert cooldown_scope(some, some) == "model"
    assert cooldown_scope(NO_LIMITS, some) == "provider"
    assert cooldown_scope(NO_LIMITS, NO_LIMITS) == "model"


def test_a_spent_rolling_window_whose_oldest_call_is_unknown_says_no_time() -> None:
    shared = Limits.from_mapping({"requests_per_minute": 5})
    state = plan_budget("groq", "m", NO_LIMITS, shared, NOW).state([WindowUsage(5, 0, None)])
    assert state.skip_reason() == "budget spent: 5/5 requests in the last minute for all groq models"
    summary = budget_json(state)
    assert summary is not None and summary["limits"][0]["resets_at"] is None  # type: ignore[index]


def test_a_budget_with_room_left_has_no_reset_time_in_json() -> None:
    model = Limits.from_mapping({"requests_per_day": 20})
    state = plan_budget("groq", "m", model, NO_LIMITS, NOW).state([WindowUsage(2, 0, NOW - 5)])
    summary = budget_json(state)
    assert summary is not None and summary["limits"][0]["resets_at"] is None  # type: ignore[index]
    assert summary["limits"][0]["remaining"] == 18  # type: ignore[index]


def test_a_listing_reads_a_models_own_limits_and_its_providers_from_the_catalog() -> None:
    from freegin_gitops.core.budgets import provider_limits
    from freegin_gitops.core.build import build_catalog
    from tests.documents import GROQ, catalog, model, provider

    own = model("llama", limits={"requests_per_day": 100})
    raw = provider("groq", own, model("plain"), limits={"requests_per_minute": 30, "day_resets": "rolling"})
    groq = build_catalog(catalog(**{GROQ: raw})).providers["groq"]
    mine, shared = provider_limits(groq, "llama")
    assert (mine.caps, mine.day_resets) == ({("requests", "day"): 100}, "rolling")
    assert shared.caps == {("requests", "minute"): 30}
    assert provider_limits(groq, "plain") == (NO_LIMITS, shared)
    assert provider_limits(groq, "unknown") == (NO_LIMITS, shared)
