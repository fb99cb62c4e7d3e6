"""Lifecycle proposals from a model list: deprecate, retire after the grace period, active again;
suspect lists propose nothing (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core.catalog import ApiSettings, ModelEntry, Provider
from freegin_gitops.core.lifecycle import propose_lifecycle, suspicion
from freegin_gitops.core.model_list import ModelList
from freegin_gitops.core.usage import UsageStats

TODAY = dt.date(2026, 11, 25)
ADDED = dt.date(2026, 1, 1)


def active(model_id: str, *workloads: str) -> ModelEntry:
    return ModelEntry(model_id, workloads or ("chat",), "active", ADDED)


def deprecated(
    model_id: str, days_ago: int, *, missing: bool = True, successor: str | None = None
) -> ModelEntry:
    since = TODAY - dt.timedelta(days=days_ago)
    return ModelEntry(
        model_id,
        ("chat",),
        "deprecated",
        ADDED,
        deprecated=since,
        missing_since=since if missing else None,
        successor=successor,
    )


def provider(*models: ModelEntry) -> Provider:
    return Provider("groq", "Groq", ApiSettings("openai", "https://x/v1"), models)


def changes(prov: Provider, listed: list[str] | None, grace: int = 14, stats=None):
    outcome = propose_lifecycle(
        prov, None if listed is None else ModelList.of(listed), TODAY, stats or {}, grace
    )
    return [(p.change, p.model) for p in outcome.proposals], outcome.suspect


FOUR = provider(active("a"), active("b"), active("c"), active("d"))


def test_a_missing_active_model_is_deprecated_not_retired():
    stats = {("groq", "d", "chat"): UsageStats(10, 9, 500.0, 900.0, "2026-11-24T00:00:00Z")}
    outcome = propose_lifecycle(FOUR, ModelList.of(["a", "b", "c"]), TODAY, stats, 14)
    [proposal] = outcome.proposals
    assert (proposal.change, proposal.model, proposal.workloads) == ("deprecate", "d", ("chat",))
    assert proposal.reason == "not in groq's model list (GET /models) on 2026-11-25"
    assert (proposal.missing_since, proposal.missing_days) == (TODAY, 0)
    assert proposal.usage == {"chat": stats[("groq", "d", "chat")]}
    assert outcome.suspect is None


@pytest.mark.parametrize(("days", "retired"), [(13, False), (14, True), (30, True)])
def test_a_deprecated_model_still_missing_is_retired_after_the_grace_period(days, retired):
    prov = provider(active("a"), active("b"), deprecated("old", days))
    found, _ = changes(prov, ["a", "b"])
    assert found == ([("retire", "old")] if retired else [])


def test_the_retirement_says_how_long_the_model_was_missing():
    prov = provider(active("a"), deprecated("old", 30))
    [proposal] = propose_lifecycle(prov, ModelList.of(["a"]), TODAY, {}, 14).proposals
    assert proposal.reason.endswith("deprecated since 2026-10-26 (30 days; grace period 14 days)")
    assert (proposal.deprecated, proposal.missing_since, proposal.missing_days) == (
        dt.date(2026, 10, 26),
        dt.date(2026, 10, 26),
        30,
    )


def test_a_model_deprecated_by_hand_retires_from_its_deprecation_date():
    prov = provider(active("a"), deprecated("old", 20, missing=False))
    [proposal] = propose_lifecycle(prov, ModelList.of(["a"]), TODAY, {}, 14).proposals
    assert (proposal.change, proposal.missing_since, proposal.missing_days) == ("retire", None, None)


def test_the_grace_period_is_configurable():
    prov = provider(active("a"), deprecated("old", 3))
    assert changes(prov, ["a"], grace=3)[0] == [("retire", "old")]
    assert changes(prov, ["a"], grace=0)[0] == [("retire", "old")]
    assert changes(prov, ["a"], grace=4)[0] == []


def test_a_model_deprecated_because_it_went_missing_is_active_again_when_listed():
    prov = provider(active("a"), deprecated("back", 3))
    [proposal] = propose_lifecycle(prov, ModelList.of(["a", "back"]), TODAY, {}, 14).proposals
    assert (proposal.change, proposal.model) == ("reactivate", "back")
    assert proposal.reason == "in groq's model list (GET /models) again on 2026-11-25"


def test_a_model_deprecated_by_hand_stays_deprecated_while_listed():
    assert changes(provider(active("a"), deprecated("kept", 3, missing=False)), ["a", "kept"]) == ([], None)


def test_retired_models_are_left_alone():
    gone = ModelEntry("gone", ("chat",), "retired", ADDED, retired=dt.date(2026, 6, 1))
    assert changes(provider(active("a"), gone), ["a"]) == ([], None)
    assert changes(provider(active("a"), gone), ["a", "gone"]) == ([], None)


def test_nothing_without_a_list():
    assert changes(FOUR, None) == ([], None)


@pytest.mark.parametrize(
    ("listed", "why"),
    [
        ([], "the list is empty"),
        (["x", "y"], "it holds none of the provider's 4 active model(s)"),
        (["a"], "it would deprecate 3 of the provider's 4 active models (more than half)"),
    ],
)
def test_a_suspect_list_proposes_nothing_for_the_providers_models(listed, why):
    prov = provider(*FOUR.models, deprecated("old", 30), deprecated("back", 3))
    assert changes(prov, listed) == ([], why)


def test_exactly_half_missing_is_not_suspect():
    assert changes(FOUR, ["a", "b"]) == ([("deprecate", "c"), ("deprecate", "d")], None)
    assert suspicion(FOUR, ModelList.of(["a", "b"])) is None


def test_a_provider_without_active_models_is_not_suspect_for_that():
    prov = provider(deprecated("old", 30))
    assert changes(prov, ["other"]) == ([("retire", "old")], None)


def test_deprecated_models_naming_a_leaving_model_as_successor_lose_it():
    prov = provider(
        active("a"),
        active("b"),
        active("c"),
        deprecated("x", 3, missing=False, successor="c"),
        deprecated("y", 30, successor="c"),  # retired now: its successor stays as history
    )
    outcome = propose_lifecycle(prov, ModelList.of(["a", "b", "x"]), TODAY, {}, 14)
    by_model = {p.model: p for p in outcome.proposals}
    assert by_model["c"].change == "deprecate" and by_model["c"].orphans == ("x",)
    assert by_model["y"].change == "retire" and by_model["y"].orphans == ()


def test_a_model_made_active_again_keeps_no_orphans():
    prov = provider(active("a"), active("b"), deprecated("x", 3, successor="b"), deprecated("y", 3))
    outcome = propose_lifecycle(prov, ModelList.of(["a", "b", "x", "y"]), TODAY, {}, 14)
    assert [(p.change, p.model, p.orphans) for p in outcome.proposals] == [
        ("reactivate", "x", ()),
        ("reactivate", "y", ()),
    ]
