"""Exit codes from ``main()``: 1 for a failed operation, 2 for bad usage, 3 for an internal error
with the ``--debug`` hint; the global options of one run never leak into the next."""

from __future__ import annotations

from pathlib import Path

import pytest

from freegin_gitops.commands import route
from freegin_gitops.errors import NotFound
from tests.helpers import Cli


def broken(*_args: object, **_kwargs: object) -> int:
    raise RuntimeError("a bug")


def test_an_internal_error_exits_3_with_the_debug_hint(
    cli: Cli, catalog_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(route, "run", broken)
    run = cli("--repo", catalog_repo, "route")
    assert run.code == 3
    assert run.stderr == (
        "freegin-ai: internal error (RuntimeError: a bug); run again with --debug for details\n"
    )
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_error_itself(
    cli: Cli, catalog_repo: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setattr(route, "run", broken)
    args = ["--debug", "route"] if where == "before" else ["route", "--debug"]
    run = cli("--repo", catalog_repo, *args)
    assert run.code == 3
    assert "Traceback (most recent call last)" in run.stderr
    assert run.stderr.rstrip().endswith("RuntimeError: a bug")


def test_an_operation_that_fails_exits_1(
    cli: Cli, catalog_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_found(*_args: object, **_kwargs: object) -> int:
        raise NotFound("unknown provider 'nope'")

    monkeypatch.setattr(route, "run", not_found)
    run = cli("--repo", catalog_repo, "route")
    assert (run.code, run.stderr) == (1, "freegin-ai: unknown provider 'nope'\n")


def test_bad_usage_exits_2(cli: Cli) -> None:
    assert cli("route", "--no-such-option").code == 2


def test_global_options_do_not_leak_into_the_next_run(
    cli: Cli, catalog_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def record(options: object, **_kwargs: object) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(route, "run", record)
    assert cli("--repo", catalog_repo, "--debug", "--db", "x.db", "route").code == 0
    assert cli("route", "--repo", catalog_repo).code == 0
    first, second = seen
    assert (first.repo, first.db, first.debug) == (catalog_repo, "x.db", True)
    assert (second.repo, second.db, second.debug) == (catalog_repo, None, False)


def test_a_global_option_after_the_command_overrides_one_before(
    cli: Cli, catalog_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    monkeypatch.setattr(route, "run", lambda options, **_kw: seen.append(options) or 0)
    assert cli("--repo", tmp_path, "route", "--repo", catalog_repo).code == 0
    assert seen[0].repo == catalog_repo
