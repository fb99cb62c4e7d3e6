"""Verification, merge with existing suggestions, retirement proposals (pure)."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.core.catalog import ApiSettings, ModelEntry, Provider, Suggestion
from freegin_gitops.core.refresh_merge import ModelList, merge_recommendations, propose_retirements, verified
from freegin_gitops.core.refresh_model import Recommendation, WorkloadRecommendations
from freegin_gitops.core.usage import UsageStats

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
PROVIDER = Provider(
    id="groq",
    name="Groq",
    api=ApiSettings("openai", "https://x/v1"),
    models=(
        ModelEntry("active-chat", ("chat",), "active", dt.date(2026, 1, 1)),
        ModelEntry("old", ("chat", "code"), "retired", dt.date(2025, 1, 1), retired=dt.date(2026, 1, 1)),
        ModelEntry("gone", ("code",), "active", dt.date(2026, 1, 1)),
    ),
)


def suggestion(model: str, workload: str, status: str) -> Suggestion:
    return Suggestion("groq", model, workload, "why", status, NOW, NOW)  # type: ignore[arg-type]


def merge(recs, suggestions=(), listed=None, per_workload=3, wanted=None):
    return merge_recommendations(
        PROVIDER,
        suggestions,
        recs,
        known_workloads={"chat", "code", "summarisation"},
        wanted_workloads=wanted,
        per_workload=per_workload,
        listed=listed,
    )


def group(workload: str, *models: str) -> WorkloadRecommendations:
    return WorkloadRecommendations(
        workload, tuple(Recommendation(m, f"because {m}", "free", "fast") for m in models)
    )


def test_new_models_are_added_with_their_verification():
    changes, skipped = merge([group("chat", "new", "invented")], listed=ModelList.of(["new", "active-chat"]))
    assert [(c.model, c.action, c.verified) for c in changes] == [
        ("new", "added", True),
        ("invented", "added", False),
    ]
    assert skipped == []


def test_verified_is_null_without_a_model_list():
    changes, _ = merge([group("chat", "new")])
    assert changes[0].verified is None


def test_active_rejected_and_adopted_models_are_not_suggested():
    existing = [suggestion("nope", "chat", "rejected"), suggestion("taken", "chat", "adopted")]
    changes, skipped = merge([group("chat", "active-chat", "nope", "taken", "fresh")], existing)
    assert [c.model for c in changes] == ["fresh"]
    assert [(s.model, s.why) for s in skipped] == [
        ("active-chat", "already active"),
        ("nope", "rejected earlier"),
        ("taken", "adopted earlier"),
    ]


def test_a_pending_suggestion_made_again_is_an_update():
    changes, _ = merge([group("chat", "again")], [suggestion("again", "chat", "pending")])
    assert [(c.model, c.action) for c in changes] == [("again", "updated")]


def test_a_model_active_for_another_workload_can_be_suggested_for_this_one():
    changes, _ = merge([group("code", "active-chat")])
    assert [c.model for c in changes] == ["active-chat"]


def test_per_workload_limit_unknown_and_unwanted_workloads_are_skipped():
    changes, skipped = merge(
        [group("chat", "a", "b", "c"), group("poetry", "d"), group("code", "e")],
        per_workload=2,
        wanted={"chat"},
    )
    assert [c.model for c in changes] == ["a", "b"]
    assert [s.why for s in skipped] == [
        "more than 2 recommendations for chat",
        "unknown workload",
        "workload not asked for",
    ]


def test_model_lists_match_leniently_but_keep_variant_suffixes():
    listed = ModelList.of(["models/gemini-2.5-flash", "Meta-Llama/Llama-3.3-70B", "x:free"])
    assert verified("gemini-2.5-flash", listed) is True
    assert verified("meta-llama/llama-3.3-70b", listed) is True
    assert verified("x:free", listed) is True
    assert verified("y:free", ModelList.of(["y"])) is False


def test_active_models_missing_from_the_list_are_proposed_for_retirement_with_usage():
    stats = {("groq", "gone", "code"): UsageStats(10, 2, 900.0, 1500.0, "2026-11-20T00:00:00Z")}
    proposals = propose_retirements(PROVIDER, ModelList.of(["active-chat"]), NOW.date(), stats)
    assert [(p.model, p.workloads) for p in proposals] == [("gone", ("code",))]
    assert proposals[0].reason == "not in groq's model list (GET /models) on 2026-11-25"
    assert proposals[0].usage["code"].calls == 10


def test_no_retirement_proposals_without_a_list_or_with_an_empty_one():
    assert propose_retirements(PROVIDER, None, NOW.date(), {}) == []
    assert propose_retirements(PROVIDER, ModelList.of([]), NOW.date(), {}) == []


def test_a_recommendation_that_only_looks_like_a_catalog_model_is_left_out():
    lookalike = "\u0430ctive-chat"  # Cyrillic а: id_problem allows one script, the skeleton is the same
    groups = [WorkloadRecommendations("code", (Recommendation(lookalike, "same, really"),))]
    changes, skipped = merge(groups)
    assert changes == []
    assert [s.why for s in skipped] == [
        "looks exactly like the catalog model 'active-chat': likely a duplicate"
    ]
