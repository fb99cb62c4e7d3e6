"""Which catalog a command works on: --repo, FREEGIN_REPO, the git repository around the current
directory, or the bundled starter catalog (read-only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freegin_gitops.errors import CatalogReadOnly
from freegin_gitops.resources import bundled_root
from freegin_gitops.services.catalog.repo import CatalogRepo, resolve_repo
from tests.helpers import Cli, copy_catalog, git, make_catalog_repo


def mark(repo: Path, label: str) -> Path:
    """Give the catalog of ``repo`` a model named ``label`` so that listings show which was read."""
    with (repo / "catalog" / "providers" / "ollama.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"  - id: {label}\n    workloads: [chat]\n    status: active\n    added: 2026-11-26\n")
    return repo


def catalog_read(cli: Cli, *global_args: str | Path, cwd: Path | None = None) -> str | None:
    """The marker model of the catalog the command line read (None: the starter catalog)."""
    run = cli(*global_args, "list-models", "--json", "--provider", "ollama", cwd=cwd)
    assert run.code == 0, run.stderr
    marks = [row["model"] for row in json.loads(run.stdout) if row["model"].startswith("mark-")]
    return marks[0] if marks else None


@pytest.fixture
def marked_repo(catalog_repo: Path) -> Path:
    return mark(catalog_repo, "mark-cwd")


@pytest.fixture
def other_repo(tmp_path: Path) -> Path:
    return mark(make_catalog_repo(tmp_path / "other"), "mark-other")


def test_repo_option(cli: Cli, other_repo: Path) -> None:
    assert catalog_read(cli, "--repo", other_repo) == "mark-other"


def test_freegin_repo_variable(cli: Cli, other_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREEGIN_REPO", str(other_repo))
    assert catalog_read(cli) == "mark-other"


def test_repo_option_wins_over_the_variable(
    cli: Cli, other_repo: Path, marked_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREEGIN_REPO", str(marked_repo))
    assert catalog_read(cli, "--repo", other_repo) == "mark-other"


def test_variable_wins_over_the_current_repository(
    cli: Cli, other_repo: Path, marked_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREEGIN_REPO", str(other_repo))
    assert catalog_read(cli, cwd=marked_repo) == "mark-other"


def test_the_git_repository_around_the_current_directory(cli: Cli, marked_repo: Path) -> None:
    assert catalog_read(cli, cwd=marked_repo) == "mark-cwd"


def test_a_subfolder_of_the_repository(cli: Cli, marked_repo: Path) -> None:
    subfolder = marked_repo / "docs" / "notes"
    subfolder.mkdir(parents=True)
    assert catalog_read(cli, cwd=subfolder) == "mark-cwd"


def test_a_relative_repo_option(cli: Cli, other_repo: Path) -> None:
    assert catalog_read(cli, "--repo", "other", cwd=other_repo.parent) == "mark-other"


def test_outside_any_repository_the_starter_catalog_is_read(cli: Cli) -> None:
    assert catalog_read(cli) is None


def test_a_git_repository_without_a_catalog_falls_back_to_the_starter(cli: Cli, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    assert catalog_read(cli, cwd=project) is None


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_folder_without_a_catalog_is_bad_usage(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    if how == "variable":
        monkeypatch.setenv("FREEGIN_REPO", str(empty))
    run = cli(*(["--repo", str(empty)] if how == "option" else []), "validate")
    assert (run.code, "has no catalog/ folder" in run.stderr) == (2, True)


def test_resolve_a_git_repository_from_a_subfolder(catalog_repo: Path) -> None:
    subfolder = catalog_repo / "catalog" / "providers"
    repo = resolve_repo(None, environ={}, cwd=subfolder)
    assert (repo.root, repo.writable) == (catalog_repo.resolve(), True)


def test_resolve_a_plain_folder_with_a_catalog(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path / "plain")
    assert resolve_repo(None, environ={}, cwd=folder).root == folder.resolve()


def test_the_bundled_catalog_is_read_only(tmp_path: Path) -> None:
    repo = resolve_repo(None, environ={}, cwd=tmp_path)
    assert (repo.root, repo.writable) == (bundled_root(), False)


def test_writing_to_the_bundled_catalog_is_refused(tmp_path: Path) -> None:
    repo = resolve_repo(None, environ={}, cwd=tmp_path)
    with pytest.raises(CatalogReadOnly, match="read-only; point --repo or FREEGIN_REPO"):
        repo.require_writable("adopt a model")


def test_a_repository_is_writable(catalog_repo: Path) -> None:
    CatalogRepo(catalog_repo, "test").require_writable("adopt a model")
