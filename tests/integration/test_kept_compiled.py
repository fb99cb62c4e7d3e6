"""A repository that keeps its compiled catalog (``compiled/catalog.json``) gets it regenerated in
the same commit by refresh and by every ``--commit`` edit, so ``compile --check`` stays green on
the refresh branch and after each decision; at the root of a repository and in a monorepo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import STARTER_CATALOG, Cli, git

BRANCH = "freegin/refresh/groq"
ANSWER = json.dumps(
    [
        {
            "workload": "code",
            "recommendations": [
                {"model": "qwen/qwen3-coder-480b", "reason": "Code model.", "cost": "free", "speed": "fast"}
            ],
        }
    ]
)


def make_repo(root: Path, prefix: str, *, keep_compiled: bool, cli: Cli) -> Path:
    """A repository (with a bare origin) whose catalog is at ``prefix``; returns the catalog's
    folder."""
    folder = root / prefix
    folder.mkdir(parents=True)
    git(root, "init", "-q", "-b", "trunk")
    subprocess.run(["cp", "-a", str(STARTER_CATALOG), str(folder / "catalog")], check=True)
    if keep_compiled:
        assert cli("compile", "--output", "compiled/catalog.json", cwd=folder).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Catalog")
    origin = root.parent / f"{root.name}.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "trunk")
    return folder


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "answer.json"
    path.write_text(ANSWER)
    return path


def checkout(root: Path, branch: str, where: Path) -> Path:
    git(root, "worktree", "add", "-q", str(where), branch)
    return where


def changed_in(root: Path, ref: str) -> list[str]:
    return git(root, "diff", "--name-only", f"{ref}^", ref).split()


@pytest.mark.parametrize("prefix", ["", "infra/ai"])
def test_refresh_and_adopt_keep_compile_check_green(
    cli: Cli, tmp_path: Path, answer_file: Path, prefix: str
) -> None:
    root = tmp_path / "repo"
    folder = make_repo(root, prefix, keep_compiled=True, cli=cli)
    at = f"{prefix}/" if prefix else ""
    run = cli("refresh-models", "groq", "--from-file", answer_file, "--push", cwd=folder)
    assert run.code == 0, run.stderr
    assert "compiled/catalog.json regenerated" in run.stdout
    assert changed_in(root, BRANCH) == [f"{at}catalog/suggestions/groq.yaml", f"{at}compiled/catalog.json"]
    review = checkout(root, BRANCH, tmp_path / "review") / prefix
    check = ("compile", "--output", "compiled/catalog.json", "--check")
    assert cli(*check, cwd=review).code == 0
    adopted = cli("adopt-model", "groq", "qwen/qwen3-coder-480b", "--commit", cwd=review)
    assert adopted.code == 0, adopted.stderr
    assert "compiled/catalog.json regenerated" in adopted.stdout
    assert changed_in(root, BRANCH) == [
        f"{at}catalog/providers/groq.yaml",
        f"{at}catalog/suggestions/groq.yaml",
        f"{at}compiled/catalog.json",
    ]
    assert git(root, "status", "--porcelain") == "" and git(review, "status", "--porcelain") == ""
    assert cli(*check, cwd=review).code == 0


@pytest.mark.parametrize(
    "edit",
    [
        ["retire-model", "groq", "qwen/qwen3-32b", "--reason", "slow"],
        ["reject-model", "groq", "moonshotai/kimi-k2-instruct-0905", "--reason", "not free"],
        ["adopt-model", "groq", "moonshotai/kimi-k2-instruct-0905"],
    ],
)
def test_every_commit_edit_regenerates_the_kept_compiled_catalog(
    cli: Cli, tmp_path: Path, edit: list[str]
) -> None:
    root = tmp_path / "repo"
    make_repo(root, "", keep_compiled=True, cli=cli)
    assert cli(*edit, "--commit", cwd=root).code == 0
    assert "compiled/catalog.json" in changed_in(root, "HEAD")
    assert cli("compile", "--output", "compiled/catalog.json", "--check", cwd=root).code == 0


def test_an_edit_without_commit_regenerates_it_in_the_work_tree(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, "", keep_compiled=True, cli=cli)
    assert cli("retire-model", "groq", "qwen/qwen3-32b", cwd=root).code == 0
    assert "compiled/catalog.json" in git(root, "status", "--porcelain")
    assert cli("compile", "--output", "compiled/catalog.json", "--check", cwd=root).code == 0


def test_a_repository_that_keeps_none_gets_none(cli: Cli, tmp_path: Path, answer_file: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, "", keep_compiled=False, cli=cli)
    run = cli("refresh-models", "groq", "--from-file", answer_file, cwd=root)
    assert (run.code, "regenerated" in run.stdout) == (0, False)
    assert changed_in(root, BRANCH) == ["catalog/suggestions/groq.yaml"]
    assert cli("retire-model", "groq", "qwen/qwen3-32b", "--commit", cwd=root).code == 0
    assert not (root / "compiled").exists()


def test_a_kept_file_with_uncommitted_changes_stops_a_commit_edit(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, "", keep_compiled=True, cli=cli)
    (root / "compiled/catalog.json").write_text("{}\n")
    run = cli("retire-model", "groq", "qwen/qwen3-32b", "--commit", cwd=root)
    assert (run.code, "compiled/catalog.json has uncommitted changes" in run.stderr) == (1, True)
    assert git(root, "diff", "--name-only").split() == ["compiled/catalog.json"]


def test_a_dry_run_says_it_would_regenerate_it(cli: Cli, tmp_path: Path, answer_file: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, "", keep_compiled=True, cli=cli)
    run = cli("refresh-models", "groq", "--from-file", answer_file, "--dry-run", cwd=root)
    assert "and regenerate compiled/catalog.json (kept in the repository)" in run.stdout


def test_route_at_a_ref_reads_a_catalog_in_a_sub_folder(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = make_repo(root, "infra/ai", keep_compiled=False, cli=cli)
    run = cli("route", "--workload", "code", "--ref", "trunk", "--json", cwd=folder)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["catalog"]["commit"] == git(root, "rev-parse", "trunk").strip()
