"""``freegin-ai list-models``: JSON and table output, filters, usage figures, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.core.usage import UsageRecord
from tests.helpers import Cli

DOCUMENTED_KEYS = {
    "provider",
    "workload",
    "model",
    "status",
    "origin",
    "verified",
    "context_window",
    "note",
    "calls",
    "success_rate",
    "mean_latency_ms",
    "p95_latency_ms",
    "last_used",
    "budget",
}


def listed(cli: Cli, *args: str) -> list[dict[str, Any]]:
    run = cli("list-models", "--json", *args)
    assert run.code == 0, run.stderr
    rows: list[dict[str, Any]] = json.loads(run.stdout)
    return rows


def test_json_is_the_only_thing_on_stdout(cli: Cli) -> None:
    run = cli("list-models", "--json")
    assert isinstance(json.loads(run.stdout), list)


def test_json_rows_have_the_documented_keys(cli: Cli) -> None:
    assert {frozenset(row) for row in listed(cli)} == {frozenset(DOCUMENTED_KEYS)}


def test_default_rows_are_active_and_pending(cli: Cli) -> None:
    assert {row["status"] for row in listed(cli)} == {"active", "pending"}


def test_filter_by_provider(cli: Cli) -> None:
    assert {row["provider"] for row in listed(cli, "--provider", "groq")} == {"groq"}


def test_filter_by_workload(cli: Cli) -> None:
    assert {row["workload"] for row in listed(cli, "--workload", "code")} == {"code"}


@pytest.mark.parametrize("status", ["active", "retired", "pending"])
def test_filter_by_status(cli: Cli, status: str) -> None:
    assert {row["status"] for row in listed(cli, "--status", status)} == {status}


def test_status_all_includes_retired_models(cli: Cli) -> None:
    statuses = {row["status"] for row in listed(cli, "--status", "all")}
    assert {"active", "retired", "pending"} <= statuses


def test_filters_combine(cli: Cli) -> None:
    rows = listed(cli, "--provider", "groq", "--workload", "code", "--status", "pending")
    assert [row["model"] for row in rows] == ["moonshotai/kimi-k2-instruct-0905"]


def test_the_table_has_a_header_and_one_line_per_row(cli: Cli) -> None:
    run = cli("list-models", "--provider", "ollama")
    lines = run.stdout.splitlines()
    assert (lines[0].split()[:4], len(lines)) == (["PROVIDER", "WORKLOAD", "MODEL", "STATUS"], 7)


def test_an_unknown_provider_is_an_error_with_a_suggestion(cli: Cli) -> None:
    run = cli("list-models", "--provider", "grok")
    assert (run.code, run.stdout) == (1, "")
    assert "unknown provider 'grok'; did you mean 'groq'?" in run.stderr


def test_an_unknown_workload_is_an_error_with_a_suggestion(cli: Cli) -> None:
    run = cli("list-models", "--workload", "summarization")
    assert (run.code, "did you mean 'summarisation'?" in run.stderr) == (1, True)


def test_a_bad_status_is_bad_usage(cli: Cli) -> None:
    run = cli("list-models", "--status", "actve")
    assert (run.code, "--status 'actve' is not one of" in run.stderr) == (2, True)


def test_listing_does_not_create_a_usage_database(cli: Cli) -> None:
    listed(cli)
    assert not Path(os.environ["FREEGIN_DB"]).exists()


def test_usage_figures_come_from_the_usage_database(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    with SqliteUsageStore(db) as store:
        store.record(
            [
                UsageRecord(
                    "groq", "llama-3.3-70b-versatile", "chat", 200.0, True, ts="2026-11-24T10:00:00.000Z"
                ),
                UsageRecord(
                    "groq",
                    "llama-3.3-70b-versatile",
                    "chat",
                    400.0,
                    False,
                    error_kind="timeout",
                    ts="2026-11-24T11:00:00.000Z",
                ),
            ]
        )
    run = cli("--db", db, "list-models", "--json", "--provider", "groq", "--workload", "chat")
    row = next(r for r in json.loads(run.stdout) if r["model"] == "llama-3.3-70b-versatile")
    assert (row["calls"], row["success_rate"], row["last_used"]) == (
        2,
        0.5,
        "2026-11-24T11:00:00.000Z",
    )


def test_an_invalid_catalog_is_named(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "catalog" / "config.yaml").write_text("")
    run = cli("--repo", catalog_repo, "list-models")
    assert (run.code, run.stderr.startswith("freegin-ai: catalog/config.yaml:1:1: ")) == (1, True)
