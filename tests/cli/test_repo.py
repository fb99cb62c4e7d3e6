"""Which catalog a command works on: --repo, FREEGIN_REPO, the git repository around the current
directory, or the bundled starter catalog (read-only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freegin_gitops.errors import CatalogNotFound, CatalogReadOnly
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


def test_a_git_repository_without_a_catalog_is_an_error_naming_where_it_looked(
    cli: Cli, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    git(project, "init", "-q", "-b", "main")
    run = cli("validate", cwd=project / "src")
    assert run.code == 1
    assert run.stderr == (
        f"freegin-ai: no catalog/ folder in {project / 'src'} or any folder above it up to "
        f"{project} (the root of this git repository): nothing to work on; start one with "
        "freegin-ai init, or name it with --repo PATH or FREEGIN_REPO\n"
    )


@pytest.mark.parametrize("command", ["list-models", "route", "compile", "adopt-model groq x"])
def test_no_command_uses_the_starter_catalog_inside_a_git_repository(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    run = cli(*command.split(), cwd=tmp_path)
    assert (run.code, "no catalog/ folder in" in run.stderr, "bundled" in run.stderr) == (1, True, False)


def test_the_search_does_not_look_past_the_git_root(cli: Cli, tmp_path: Path) -> None:
    copy_catalog(tmp_path)  # a catalog above the repository is not the repository's
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    assert cli("validate", cwd=project).code == 1


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A git repository with its catalog under infra/ai/ (marked) and unrelated code elsewhere."""
    root = tmp_path / "mono"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    copy_catalog(root / "infra" / "ai")
    mark(root / "infra" / "ai", "mark-mono")
    return root


@pytest.mark.parametrize("where", ["infra/ai", "infra/ai/catalog/providers", "infra/ai/docs"])
def test_the_nearest_catalog_at_or_above_the_current_directory(cli: Cli, monorepo: Path, where: str) -> None:
    (monorepo / where).mkdir(parents=True, exist_ok=True)
    assert catalog_read(cli, cwd=monorepo / where) == "mark-mono"


@pytest.mark.parametrize("where", ["", "src", "infra"])
def test_beside_or_above_a_catalog_in_a_sub_folder_nothing_is_found(
    cli: Cli, monorepo: Path, where: str
) -> None:
    run = cli("list-models", cwd=monorepo / where)
    assert (run.code, f"no catalog/ folder in {monorepo / where}".rstrip("/") in run.stderr) == (1, True)


def test_outside_git_a_catalog_above_the_current_directory_is_found(cli: Cli, tmp_path: Path) -> None:
    mark(copy_catalog(tmp_path / "plain"), "mark-plain")
    below = tmp_path / "plain" / "notes"
    below.mkdir()
    assert catalog_read(cli, cwd=below) == "mark-plain"


def test_the_bundled_catalog_is_announced_outside_git(cli: Cli) -> None:
    run = cli("list-models", "--json")
    assert run.stderr.startswith("freegin-ai: using the bundled starter catalog (read-only)")


@pytest.mark.parametrize("option", ["--repo", "--db"])
def test_global_options_are_accepted_after_the_command(cli: Cli, other_repo: Path, option: str) -> None:
    if option == "--repo":
        assert catalog_read_after(cli, "--repo", other_repo) == "mark-other"
    elif option == "--db":
        db = other_repo.parent / "after.db"
        assert cli("ask", "hi", "--provider", "nowhere", "--model", "m", "--db", db).code == 1
        assert db.exists()


def catalog_read_after(cli: Cli, *global_args: str | Path) -> str | None:
    run = cli("list-models", "--json", "--provider", "ollama", *global_args)
    assert run.code == 0, run.stderr
    marks = [row["model"] for row in json.loads(run.stdout) if row["model"].startswith("mark-")]
    return marks[0] if marks else None


def test_a_global_option_after_the_command_wins(cli: Cli, other_repo: Path, marked_repo: Path) -> None:
    assert catalog_read_after(cli, "--repo", other_repo) == "mark-other"
    run = cli("--repo", marked_repo, "list-models", "--json", "--provider", "ollama", "--repo", other_repo)
    assert "mark-other" in run.stdout and "mark-cwd" not in run.stdout


def test_debug_after_the_command_shows_the_traceback(cli: Cli, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    run = cli("validate", "--debug", cwd=tmp_path)
    assert run.code == 1
    assert "Traceback (most recent call last)" in run.stderr
    assert f"{CatalogNotFound.__module__}.{CatalogNotFound.__name__}" in run.stderr


def test_the_global_options_are_hidden_from_command_help(cli: Cli) -> None:
    run = cli("validate", "--help")
    top = cli("--help")
    assert ("--repo" in run.stdout, "may also follow the command name" in top.stdout) == (False, True)


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


def test_resolve_inside_git_without_a_catalog_raises(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(CatalogNotFound, match=f"no catalog/ folder in {tmp_path} "):
        resolve_repo(None, environ={}, cwd=tmp_path)


def test_the_git_prefix_of_a_catalog(monorepo: Path, catalog_repo: Path, tmp_path: Path) -> None:
    prefixes = [
        CatalogRepo(monorepo / "infra" / "ai", "t").git_prefix(),
        CatalogRepo(catalog_repo, "t").git_prefix(),
        CatalogRepo(copy_catalog(tmp_path / "plain"), "t").git_prefix(),
        resolve_repo(None, environ={}, cwd=tmp_path / "plain").git_prefix(),
    ]
    assert prefixes == ["infra/ai/", "", "", ""]


def test_the_bundled_catalog_is_read_only(tmp_path: Path) -> None:
    repo = resolve_repo(None, environ={}, cwd=tmp_path)
    assert (repo.root, repo.writable) == (bundled_root(), False)


def test_writing_to_the_bundled_catalog_is_refused(tmp_path: Path) -> None:
    repo = resolve_repo(None, environ={}, cwd=tmp_path)
    with pytest.raises(CatalogReadOnly, match="read-only; point --repo or FREEGIN_REPO") as raised:
        repo.require_writable("adopt a model")
    assert f"starter catalog ({bundled_root() / 'catalog'})" in str(raised.value)


def test_a_repository_is_writable(catalog_repo: Path) -> None:
    CatalogRepo(catalog_repo, "test").require_writable("adopt a model")
