"""Checks of recommendations against the workload and the model list, and the merge with existing
suggestions (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core.catalog import ApiSettings, Hints, ModelEntry, Provider, Suggestion, Workload
from freegin_gitops.core.model_list import ListedModel, ModelList
from freegin_gitops.core.refresh_merge import Merged, merge_recommendations, over_budget, verified
from freegin_gitops.core.refresh_model import Recommendation, WorkloadRecommendations

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
PROVIDER = Provider(
    id="groq",
    name="Groq",
    api=ApiSettings("openai", "https://x/v1"),
    models=(
        ModelEntry("active-chat", ("chat",), "active", dt.date(2026, 1, 1)),
        ModelEntry("old", ("chat", "code"), "retired", dt.date(2025, 1, 1), retired=dt.date(2026, 1, 1)),
        ModelEntry("dying", ("chat",), "deprecated", dt.date(2025, 1, 1), deprecated=dt.date(2026, 11, 1)),
        ModelEntry("gone", ("code",), "active", dt.date(2026, 1, 1)),
    ),
)
WORKLOADS = {
    "chat": Workload("chat", "Chat.", max_cost="free-quota"),
    "code": Workload("code", "Code.", max_cost="free"),
    "summarisation": Workload("summarisation", "Summaries."),
}


def suggestion(model: str, workload: str, status: str, **facts: object) -> Suggestion:
    return Suggestion("groq", model, workload, "why", status, NOW, NOW, **facts)  # type: ignore[arg-type]


def merge(recs, suggestions=(), listed=None, per_workload=3, wanted=None, keep_unlisted=False) -> Merged:
    return merge_recommendations(
        PROVIDER,
        suggestions,
        recs,
        workloads=WORKLOADS,
        wanted_workloads=wanted,
        per_workload=per_workload,
        listed=listed,
        keep_unlisted=keep_unlisted,
    )


def group(
    workload: str, *models: str, cost: str | None = "free", speed: str | None = "fast"
) -> WorkloadRecommendations:
    return WorkloadRecommendations(
        workload, tuple(Recommendation(m, f"because {m}", cost, speed) for m in models)
    )


def why(merged: Merged) -> list[tuple[str, str]]:
    return [(s.model, s.why) for s in merged.skipped]


def test_listed_models_are_suggested_and_unlisted_ones_are_not():
    listed = ModelList([ListedModel("new", dt.date(2025, 8, 6), 131072), ListedModel("active-chat")])
    merged = merge([group("chat", "new", "invented")], listed=listed)
    assert [(c.model, c.action, c.verified, c.listed_since, c.context_window) for c in merged.changes] == [
        ("new", "added", True, dt.date(2025, 8, 6), 131072)
    ]
    assert [(u.model, u.workload, u.rationale) for u in merged.unlisted] == [
        ("invented", "chat", "because invented")
    ]
    assert merged.skipped == []


def test_keep_unlisted_writes_them_as_not_verified():
    merged = merge([group("chat", "new", "invented")], listed=ModelList.of(["new"]), keep_unlisted=True)
    assert [(c.model, c.verified) for c in merged.changes] == [("new", True), ("invented", False)]
    assert merged.unlisted == []


def test_without_a_model_list_everything_is_suggested_unverified():
    merged = merge([group("chat", "new", "other")])
    assert [(c.model, c.verified) for c in merged.changes] == [("new", None), ("other", None)]
    assert merged.unlisted == []


def test_models_in_the_catalog_rejected_and_adopted_models_are_not_suggested():
    existing = [suggestion("nope", "chat", "rejected"), suggestion("taken", "chat", "adopted")]
    merged = merge([group("chat", "active-chat", "dying", "nope", "taken", "fresh")], existing)
    assert [c.model for c in merged.changes] == ["fresh"]
    assert why(merged) == [
        ("active-chat", "already active"),
        ("dying", "already deprecated"),
        ("nope", "rejected earlier"),
        ("taken", "adopted earlier"),
    ]


def test_a_retired_model_may_be_suggested_again():
    assert [c.model for c in merge([group("code", "old")]).changes] == ["old"]


@pytest.mark.parametrize(
    ("cost", "max_cost", "over"),
    [
        ("paid", "free-quota", True),
        ("free-quota", "free", True),
        ("paid", "free", True),
        ("free", "free", False),
        ("free-quota", "free-quota", False),
        ("free", "paid", False),
        (None, "free", False),
        ("paid", None, False),
    ],
)
def test_over_budget(cost, max_cost, over):
    assert over_budget(cost, max_cost) is over


def test_a_cost_over_the_workloads_max_cost_is_reported_not_suggested():
    merged = merge([group("code", "dear", cost="free-quota"), group("chat", "fine", cost="free-quota")])
    assert [c.model for c in merged.changes] == ["fine"]
    assert why(merged) == [("dear", "cost free-quota is over code's max_cost free")]


def test_a_workload_without_max_cost_takes_any_cost():
    merged = merge([group("summarisation", "dear", cost="paid")])
    assert [c.model for c in merged.changes] == ["dear"]


def test_a_pending_suggestion_made_again_with_nothing_new_is_left_alone():
    existing = [suggestion("again", "chat", "pending", cost="free", speed="fast", verified=True)]
    merged = merge([group("chat", "again")], existing, listed=ModelList.of(["again"]))
    assert merged.changes == []
    assert why(merged) == [("again", "already pending, nothing new")]


@pytest.mark.parametrize(
    ("facts", "listed"),
    [
        ({"cost": "free", "speed": "fast", "verified": None}, ModelList.of(["again"])),  # now verified
        ({"cost": "free-quota", "speed": "fast", "verified": True}, ModelList.of(["again"])),
        ({"cost": "free", "speed": "slow", "verified": True}, ModelList.of(["again"])),
        (
            {"cost": "free", "speed": "fast", "verified": True, "hints": Hints(context_window=8192)},
            ModelList([ListedModel("again", context_window=32768)]),
        ),
    ],
    ids=["verified", "cost", "speed", "context"],
)
def test_a_pending_suggestion_made_again_with_a_new_fact_is_an_update(facts, listed):
    merged = merge([group("chat", "again")], [suggestion("again", "chat", "pending", **facts)], listed=listed)
    assert [(c.model, c.action) for c in merged.changes] == [("again", "updated")]


def test_a_reworded_rationale_alone_is_nothing_new():
    existing = [suggestion("again", "chat", "pending", cost="free", speed="fast", verified=None)]
    merged = merge([group("chat", "again")], existing)  # rationale "because again" != "why"
    assert merged.changes == []


def test_a_model_active_for_another_workload_can_be_suggested_for_this_one():
    assert [c.model for c in merge([group("code", "active-chat")]).changes] == ["active-chat"]


def test_per_workload_limit_unknown_and_unwanted_workloads_are_skipped():
    merged = merge(
        [group("chat", "a", "b", "c"), group("poetry", "d"), group("code", "e")],
        per_workload=2,
        wanted={"chat"},
    )
    assert [c.model for c in merged.changes] == ["a", "b"]
    assert [s.why for s in merged.skipped] == [
        "more than 2 recommendations for chat",
        "unknown workload",
        "workload not asked for",
    ]


def test_unlisted_recommendations_do_not_use_up_the_per_workload_limit():
    merged = merge([group("chat", "x1", "x2", "a", "b")], listed=ModelList.of(["a", "b"]), per_workload=2)
    assert [c.model for c in merged.changes] == ["a", "b"]
    assert [u.model for u in merged.unlisted] == ["x1", "x2"]


def test_verified_matches_leniently_but_keeps_variant_suffixes():
    listed = ModelList.of(["models/gemini-2.5-flash", "Meta-Llama/Llama-3.3-70B", "x:free"])
    assert verified("gemini-2.5-flash", listed) is True
    assert verified("meta-llama/llama-3.3-70b", listed) is True
    assert verified("x:free", listed) is True
    assert verified("y:free", ModelList.of(["y"])) is False
    assert verified("y", None) is None


def test_a_recommendation_that_only_looks_like_a_catalog_model_is_left_out():
    lookalike = "\u0430ctive-chat"  # Cyrillic а: id_problem allows one script, the skeleton is the same
    merged = merge([WorkloadRecommendations("code", (Recommendation(lookalike, "same, really"),))])
    assert merged.changes == []
    assert why(merged) == [
        (lookalike, "looks exactly like the catalog model 'active-chat': likely a duplicate")
    ]


def test_a_list_that_does_not_say_the_context_window_does_not_make_a_known_one_new():
    facts = {"cost": "free", "speed": "fast", "verified": True, "hints": Hints(context_window=8192)}
    existing = [suggestion("again", "chat", "pending", **facts)]
    merged = merge([group("chat", "again")], existing, listed=ModelList([ListedModel("again")]))
    assert merged.changes == []
    assert why(merged) == [("again", "already pending, nothing new")]
