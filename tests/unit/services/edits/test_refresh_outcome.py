"""A refresh's outcome written into the hand-commented golden catalog: suggestions with the list's
context window, the lifecycle of models (deprecated, retired, active again), minimal diffs."""

from __future__ import annotations

import datetime as dt
import difflib

import pytest

from freegin_gitops.adapters import yaml_read
from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)
from freegin_gitops.services.catalog.loading import load_files
from freegin_gitops.services.edits.refresh_outcome import apply_refresh
from tests.helpers import EXAMPLES

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=20)
PROVIDER = "catalog/providers/acme.yaml"
SUGGESTIONS = "catalog/suggestions/acme.yaml"


@pytest.fixture
def files() -> dict[str, bytes]:
    return read_catalog_dir(EXAMPLES / "golden")


def outcome(*lifecycle: LifecycleProposal, changes: tuple[SuggestionChange, ...] = ()) -> RefreshReport:
    provider = ProviderRefresh(
        "acme", ModelRef("beta", "beta-chat"), "fetched", changes=changes, lifecycle=lifecycle
    )
    return RefreshReport("acme", "freegin/refresh/acme", "main", (provider,))


def changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.decode().splitlines(), after.decode().splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def models(data: bytes) -> dict[str, dict]:
    return {m["id"]: m for m in yaml_read.parse(data.decode())["models"]}


def deprecate(model: str) -> LifecycleProposal:
    return LifecycleProposal("acme", model, "deprecate", ("chat",), "not in acme's model list")


def test_a_deprecation_adds_the_date_the_day_it_went_missing_and_the_reason(files):
    new = apply_refresh(files, outcome(deprecate("big-model")), NOW)
    removed, added = changed_lines(files[PROVIDER], new[PROVIDER])
    assert removed == ["    status: active"]
    assert added == [
        "    status: deprecated",
        "    deprecated: 2026-11-25",
        "    missing_since: 2026-11-25",
        "    reason: not in acme's model list",
    ]
    assert list(new) == list(files)
    assert not load_files(new).problems


def test_deprecated_then_retired_then_listed_again_by_later_refreshes(files):
    deprecated = apply_refresh(files, outcome(deprecate("tiny")), NOW)
    retire = LifecycleProposal("acme", "tiny", "retire", ("chat", "code"), "still missing after 20 days")
    retired = apply_refresh(deprecated, outcome(retire), LATER)
    entry = models(retired[PROVIDER])["tiny"]
    assert (entry["status"], entry["deprecated"], entry["retired"]) == ("retired", "2026-11-25", "2026-12-15")
    assert entry["reason"] == "still missing after 20 days"
    assert not load_files(retired).problems
    again = apply_refresh(
        deprecated, outcome(LifecycleProposal("acme", "tiny", "reactivate", (), "listed")), LATER
    )
    assert again[PROVIDER] == files[PROVIDER]  # back exactly as it was


def test_an_orphaned_successor_is_removed_with_the_deprecation_of_the_model_it_named(files):
    text = files[PROVIDER].replace(
        b"  - {id: small-model, workloads: [chat], status: active, added: 2026-11-02}",
        b"  - {id: small-model, workloads: [chat], status: deprecated, added: 2026-11-02,"
        b" deprecated: 2026-11-10, successor: tiny}",
    )
    base = {**files, PROVIDER: text}
    assert not load_files(base).problems
    proposal = LifecycleProposal("acme", "tiny", "deprecate", ("chat",), "gone", orphans=("small-model",))
    new = apply_refresh(base, outcome(proposal), NOW)
    assert "successor" not in models(new[PROVIDER])["small-model"]
    assert not load_files(new).problems


def suggestion(model: str, workload: str, **extra) -> SuggestionChange:
    return SuggestionChange(
        "acme", workload, model, extra.pop("action", "added"), "Listed and fast.", True, **extra
    )


def test_a_new_suggestion_keeps_the_lists_context_window_as_a_hint(files):
    new = apply_refresh(
        files, outcome(changes=(suggestion("fresh", "chat", cost="free", context_window=65536),)), NOW
    )
    item = yaml_read.parse(new[SUGGESTIONS].decode())["suggestions"][-1]
    assert item["hints"] == {"context_window": 65536}
    assert (item["verified"], item["cost"], item["source"]) == (
        True,
        "free",
        {"provider": "beta", "model": "beta-chat"},
    )
    assert "    hints: {context_window: 65536}\n" in new[SUGGESTIONS].decode()


def test_a_suggestion_made_again_keeps_its_other_hints(files):
    again = suggestion(
        "qwen-coder", "code", action="updated", cost="free", speed="fast", context_window=262144
    )
    new = apply_refresh(files, outcome(changes=(again,)), NOW)
    _, added = changed_lines(files[SUGGESTIONS], new[SUGGESTIONS])
    assert "    hints: {context_window: 262144, speed: fast, quality: high}" in added
    assert "    verified: true" in added and '    updated_at: "2026-11-25T10:00:00Z"' in added
    assert not load_files(new).problems


def test_no_outcome_changes_no_file(files):
    assert apply_refresh(files, outcome(), NOW) == files
