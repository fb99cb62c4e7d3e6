"""Limit corrections written into the hand-commented golden catalog: the one value changes, the
line's other keys, its flow style and every comment stay; the result still validates."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.limit_corrections import LimitCorrection
from freegin_gitops.core.refresh_model import ProviderRefresh, RefreshReport
from freegin_gitops.services.catalog.loading import load_files
from freegin_gitops.services.edits.refresh_outcome import apply_refresh
from tests.helpers import EXAMPLES
from tests.unit.services.edits.test_refresh_outcome import changed_lines

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PROVIDER = "catalog/providers/acme.yaml"


def report(*corrections: LimitCorrection) -> RefreshReport:
    outcome = ProviderRefresh("acme", ModelRef("beta", "beta-chat"), "fetched", limit_corrections=corrections)
    return RefreshReport("acme", "freegin/refresh/acme", "main", (outcome,))


def test_a_provider_limit_changes_that_value_only() -> None:
    files = read_catalog_dir(EXAMPLES / "golden")
    fix = LimitCorrection(
        "acme", None, "requests_per_day", 1000, 14400, ("x-ratelimit-limit-requests-day: 14400",)
    )
    new = apply_refresh(files, report(fix), NOW)
    assert changed_lines(files[PROVIDER], new[PROVIDER]) == (
        ['limits: {requests_per_minute: 30, requests_per_day: 1000, notes: "per model, free plan"}'],
        ['limits: {requests_per_minute: 30, requests_per_day: 14400, notes: "per model, free plan"}'],
    )
    assert [p for p in new if new[p] != files.get(p)] == [PROVIDER]
    assert load_files(new).problems == ()


def test_a_models_own_limit_changes_in_its_entry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = read_catalog_dir(EXAMPLES / "golden")
    text = (
        files[PROVIDER]
        .decode()
        .replace(
            "    added: 2026-11-03  # last one",
            "    added: 2026-11-03  # last one\n    limits: {tokens_per_minute: 6000}",
        )
    )
    files = {**files, PROVIDER: text.encode()}
    fix = LimitCorrection(
        "acme", "tiny", "tokens_per_minute", 6000, 12000, ("x-ratelimit-limit-tokens: 12000",)
    )
    new = apply_refresh(files, report(fix), NOW)
    assert changed_lines(files[PROVIDER], new[PROVIDER]) == (
        ["    limits: {tokens_per_minute: 6000}"],
        ["    limits: {tokens_per_minute: 12000}"],
    )
    assert load_files(new).problems == ()
