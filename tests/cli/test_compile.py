"""``freegin-ai compile``: standard output, --output, --check, and the source block."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import Cli, copy_catalog, git

OLLAMA = Path("catalog/providers/ollama.yaml")


def edit_catalog(repo: Path) -> None:
    """A real change: the local Ollama gets one more model."""
    with (repo / OLLAMA).open("a", encoding="utf-8") as handle:
        handle.write("  - id: phi4-mini\n    workloads: [chat]\n    status: active\n    added: 2026-11-26\n")


def test_compile_prints_json_on_stdout(cli: Cli, catalog_repo: Path) -> None:
    run = cli("--repo", catalog_repo, "compile")
    assert (run.code, json.loads(run.stdout)["schema_version"]) == (0, 1)


def test_stdout_and_output_file_are_the_same_bytes(cli: Cli, catalog_repo: Path) -> None:
    printed = cli("--repo", catalog_repo, "compile").stdout
    cli("--repo", catalog_repo, "compile", "--output", "compiled.json")
    assert Path("compiled.json").read_text(encoding="utf-8") == printed


def test_compiling_twice_gives_identical_bytes(cli: Cli, catalog_repo: Path) -> None:
    cli("--repo", catalog_repo, "compile", "--output", "first.json")
    cli("--repo", catalog_repo, "compile", "--output", "second.json")
    assert Path("first.json").read_bytes() == Path("second.json").read_bytes()


def test_output_creates_missing_folders(cli: Cli, catalog_repo: Path) -> None:
    run = cli("compile", "--output", "compiled/catalog.json", cwd=catalog_repo)
    assert (run.code, (catalog_repo / "compiled" / "catalog.json").is_file()) == (0, True)


def test_check_of_a_fresh_file_passes(cli: Cli, catalog_repo: Path) -> None:
    cli("--repo", catalog_repo, "compile", "--output", "compiled.json")
    assert cli("--repo", catalog_repo, "compile", "--output", "compiled.json", "--check").code == 0


def test_check_writes_nothing(cli: Cli, catalog_repo: Path) -> None:
    cli("--repo", catalog_repo, "compile", "--output", "compiled.json", "--check")
    assert not Path("compiled.json").exists()


def test_check_after_a_catalog_edit_is_stale(cli: Cli, catalog_repo: Path) -> None:
    cli("--repo", catalog_repo, "compile", "--output", "compiled.json")
    edit_catalog(catalog_repo)
    run = cli("--repo", catalog_repo, "compile", "--output", "compiled.json", "--check")
    assert (run.code, "compiled.json is stale" in run.stderr) == (1, True)


def test_check_of_a_missing_file_fails(cli: Cli, catalog_repo: Path) -> None:
    run = cli("--repo", catalog_repo, "compile", "--output", "compiled.json", "--check")
    assert (run.code, "compiled.json does not exist" in run.stderr) == (1, True)


def test_check_of_a_file_that_is_not_json_fails(cli: Cli, catalog_repo: Path) -> None:
    Path("compiled.json").write_text("<<<<<<< HEAD\n")
    run = cli("--repo", catalog_repo, "compile", "--output", "compiled.json", "--check")
    assert (run.code, "cannot be read as JSON" in run.stderr) == (1, True)


def test_check_without_output_is_bad_usage(cli: Cli, catalog_repo: Path) -> None:
    run = cli("--repo", catalog_repo, "compile", "--check")
    assert (run.code, "--check needs --output" in run.stderr) == (2, True)


def test_committing_the_compiled_file_keeps_it_fresh(cli: Cli, catalog_repo: Path) -> None:
    """The commit and dirty flag change with every commit; --check does not compare them."""
    cli("compile", "--output", "compiled/catalog.json", cwd=catalog_repo)
    git(catalog_repo, "add", "compiled")
    git(catalog_repo, "commit", "-q", "-m", "Compiled catalog")
    edit_catalog(catalog_repo)
    git(catalog_repo, "checkout", "-q", "--", "catalog")
    run = cli("compile", "--output", "compiled/catalog.json", "--check", cwd=catalog_repo)
    assert run.code == 0


def test_source_names_the_head_commit_of_a_clean_repository(cli: Cli, catalog_repo: Path) -> None:
    source = json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]
    head = git(catalog_repo, "rev-parse", "HEAD").strip()
    assert (source["commit"], source["dirty"]) == (head, False)


def test_source_is_dirty_after_an_uncommitted_edit(cli: Cli, catalog_repo: Path) -> None:
    edit_catalog(catalog_repo)
    assert json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]["dirty"] is True


def test_source_is_dirty_with_an_untracked_catalog_file(cli: Cli, catalog_repo: Path) -> None:
    suggestions = catalog_repo / "catalog" / "suggestions"
    (suggestions / "gemini.yaml").write_bytes((suggestions / "groq.yaml").read_bytes())
    assert json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]["dirty"] is True


def test_changes_outside_the_catalog_do_not_make_it_dirty(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "README.md").write_text("notes\n")
    assert json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]["dirty"] is False


def test_source_of_a_plain_folder_has_no_commit(cli: Cli, tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path / "plain")
    source = json.loads(cli("--repo", folder, "compile").stdout)["source"]
    assert (source["commit"], source["dirty"]) == (None, None)


def test_content_hash_follows_the_files_not_the_repository(
    cli: Cli, catalog_repo: Path, tmp_path: Path
) -> None:
    folder = copy_catalog(tmp_path / "plain")
    in_git = json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]
    plain = json.loads(cli("--repo", folder, "compile").stdout)["source"]
    assert in_git["content_sha256"] == plain["content_sha256"]


def test_an_invalid_catalog_is_not_compiled(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "catalog" / "workloads.yaml").write_text("")
    run = cli("--repo", catalog_repo, "compile")
    assert (run.code, run.stdout) == (1, "")


def test_an_invalid_catalog_is_named_in_one_sentence(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "catalog" / "workloads.yaml").write_text("")
    run = cli("--repo", catalog_repo, "compile")
    assert run.stderr == (
        "freegin-ai: catalog/workloads.yaml:1:1: the file is empty; it must hold a YAML mapping\n"
    )
