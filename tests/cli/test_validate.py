"""``freegin-ai validate``: formats, files given on the command line, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import Cli, copy_catalog, git, invalid_examples, make_catalog_repo

EXAMPLES = {example.name: example for example in invalid_examples()}
PROBLEM_LINE = re.compile(r"^catalog/[\w/.-]+:\d+:\d+: ")


def break_files(repo: Path, *names: str) -> None:
    for name in names:
        EXAMPLES[name].put(repo)


def test_the_bundled_starter_catalog_is_valid(cli: Cli) -> None:
    run = cli("validate")
    assert (run.code, run.stdout.endswith("catalog file(s) valid\n")) == (0, True)


def test_the_starter_catalog_in_a_repository_is_valid(cli: Cli, catalog_repo: Path) -> None:
    assert cli("validate", cwd=catalog_repo).code == 0


def test_github_format_on_a_valid_catalog_prints_nothing(cli: Cli, catalog_repo: Path) -> None:
    run = cli("--repo", catalog_repo, "validate", "--format", "github")
    assert (run.code, run.stdout) == (0, "")


def test_json_on_a_valid_catalog_lists_the_files(cli: Cli, catalog_repo: Path) -> None:
    document = json.loads(cli("--repo", catalog_repo, "validate", "--format", "json").stdout)
    assert (document["ok"], document["problems"], "catalog/config.yaml" in document["files"]) == (
        True,
        [],
        True,
    )


def test_text_problem_is_file_line_col_json_path_message(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    run = cli("--repo", catalog_repo, "validate")
    assert run.stdout.splitlines() == [
        "catalog/providers/groq.yaml:24:13: $.models[0].status: "
        "\"actve\" is not one of active, deprecated, retired; did you mean 'active'?"
    ]


def test_text_summary_goes_to_stderr(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    run = cli("--repo", catalog_repo, "validate")
    assert run.stderr.startswith("freegin-ai: 1 problem(s) in 1 file(s); first: catalog/providers/")


def test_github_annotation_carries_line_column_and_path(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    run = cli("--repo", catalog_repo, "validate", "--format", "github")
    assert run.stdout.startswith(
        "::error file=catalog/providers/groq.yaml,line=24,col=13::$.models[0].status: "
    )


def test_json_problem_has_file_line_col_path_and_message(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    run = cli("--repo", catalog_repo, "validate", "--format", "json")
    problem = json.loads(run.stdout)["problems"][0]
    assert {k: problem[k] for k in ("file", "line", "col", "path")} == {
        "file": "catalog/providers/groq.yaml",
        "line": 24,
        "col": 13,
        "path": "$.models[0].status",
    }


def test_every_broken_file_is_reported(cli: Cli, catalog_repo: Path) -> None:
    broken = ["provider-bad-enum", "provider-secret-header", "workloads-missing-code"]
    break_files(catalog_repo, *broken)
    run = cli("--repo", catalog_repo, "validate")
    files = {line.split(":", 1)[0] for line in run.stdout.splitlines()}
    assert files == {EXAMPLES[name].place for name in broken}


def test_a_path_inside_the_repository_reports_only_that_file(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum", "provider-secret-header")
    run = cli("validate", "catalog/providers/openrouter.yaml", cwd=catalog_repo)
    files = {line.split(":", 1)[0] for line in run.stdout.splitlines()}
    assert (run.code, files) == (1, {"catalog/providers/openrouter.yaml"})


def test_a_valid_path_passes_while_another_file_is_broken(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    assert cli("validate", "catalog/providers/gemini.yaml", cwd=catalog_repo).code == 0


def test_a_path_relative_to_a_subfolder(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-bad-enum")
    run = cli("validate", "groq.yaml", cwd=catalog_repo / "catalog" / "providers")
    assert (run.code, run.stdout.split(":", 1)[0]) == (1, "catalog/providers/groq.yaml")


def test_a_path_outside_is_checked_in_the_catalog_context(
    cli: Cli, catalog_repo: Path, tmp_path: Path
) -> None:
    """An outside suggestions file for a provider the catalog lacks is an unknown provider."""
    outside = tmp_path / "grok.yaml"
    outside.write_bytes(EXAMPLES["suggestions-unknown-provider"].raw)
    run = cli("--repo", catalog_repo, "validate", outside)
    assert (run.code, "unknown provider 'grok'" in run.stdout) == (1, True)


def test_a_missing_path_is_bad_usage(cli: Cli, catalog_repo: Path) -> None:
    run = cli("validate", "catalog/providers/nope.yaml", cwd=catalog_repo)
    assert (run.code, run.stderr) == (2, "freegin-ai: catalog/providers/nope.yaml is not a file\n")


def test_an_unknown_format_is_bad_usage(cli: Cli) -> None:
    assert cli("validate", "--format", "xml").code == 2


def test_a_broken_provider_file_is_reported_once(cli: Cli, catalog_repo: Path) -> None:
    """Its suggestions and the config's references to it are not also "unknown provider"."""
    break_files(catalog_repo, "provider-syntax-error")
    run = cli("--repo", catalog_repo, "validate")
    assert [line.split(":", 1)[0] for line in run.stdout.splitlines()] == ["catalog/providers/groq.yaml"]


def test_a_provider_file_renamed_to_yml_is_reported_once(cli: Cli, catalog_repo: Path) -> None:
    providers = catalog_repo / "catalog" / "providers"
    (providers / "groq.yaml").rename(providers / "groq.yml")
    run = cli("--repo", catalog_repo, "validate")
    assert run.stdout.splitlines() == [
        "catalog/providers/groq.yml:1:1: catalog files use the .yaml extension; "
        "rename it to catalog/providers/groq.yaml"
    ]


def test_a_stray_file_in_the_catalog(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "catalog" / "notes.yaml").write_text("todo: review groq\n")
    run = cli("--repo", catalog_repo, "validate")
    assert "catalog/notes.yaml:1:1: unexpected file in the catalog" in run.stdout


def test_hidden_files_are_ignored(cli: Cli, catalog_repo: Path) -> None:
    (catalog_repo / "catalog" / "providers" / ".groq.yaml.swp").write_bytes(b"\x00\xff")
    (catalog_repo / "catalog" / "providers" / ".draft.yaml").write_text("- not a provider\n")
    assert cli("--repo", catalog_repo, "validate").code == 0


@pytest.mark.parametrize("name", ["workloads.yaml", "config.yaml"])
def test_a_missing_required_file(cli: Cli, catalog_repo: Path, name: str) -> None:
    (catalog_repo / "catalog" / name).unlink()
    run = cli("--repo", catalog_repo, "validate")
    assert f"catalog/{name}:1:1: the file is missing" in run.stdout


def test_problems_are_sorted_by_file_and_position(cli: Cli, catalog_repo: Path) -> None:
    break_files(catalog_repo, "provider-unknown-key-typo", "config-unknown-default-provider")
    lines = cli("--repo", catalog_repo, "validate").stdout.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in lines)
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))


def test_a_path_is_checked_against_the_catalog_it_lives_in_from_anywhere(
    cli: Cli, catalog_repo: Path
) -> None:
    """Run from a folder outside any repository (where the bundled catalog would be read), a
    file of the repository is checked with the repository's own workloads."""
    (catalog_repo / "catalog" / "workloads.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/workloads.schema.json\n"
        "workloads:\n  chat: {description: Talk}\n  summarisation: {description: Short}\n"
        "  code: {description: Code}\n  translate: {description: Languages}\n"
    )
    provider = catalog_repo / "catalog" / "providers" / "ollama.yaml"
    provider.write_text(provider.read_text().replace("workloads: [chat", "workloads: [translate, chat", 1))
    run = cli("validate", provider)
    assert (run.code, run.stderr) == (0, "")


def test_files_of_two_catalogs_are_each_checked_in_their_own(
    cli: Cli, catalog_repo: Path, tmp_path: Path
) -> None:
    other = make_catalog_repo(tmp_path / "second")
    EXAMPLES["provider-unknown-key-typo"].put(catalog_repo)
    EXAMPLES["provider-bad-enum"].put(other)
    groq = "catalog/providers/groq.yaml"
    run = cli("validate", catalog_repo / groq, other / groq, "--format", "json")
    document = json.loads(run.stdout)
    assert run.code == 1
    assert sorted({p["message"].split(";")[0] for p in document["problems"]}) == [
        '"actve" is not one of active, deprecated, retired',
        "the required key 'models' is missing",
        "unknown key 'modles'",
    ]


def test_whole_catalog_reports_a_file_broken_by_another(cli: Cli, catalog_repo: Path) -> None:
    """Adopting a suggested model by hand, without marking the suggestion adopted, leaves a
    pending suggestion for an active model: the problem is in the suggestions file."""
    groq = catalog_repo / "catalog" / "providers" / "groq.yaml"
    with groq.open("a") as handle:
        handle.write(
            "  - id: moonshotai/kimi-k2-instruct-0905\n    workloads: [code]\n    status: active\n"
            "    added: 2026-11-26\n"
        )
    alone = cli("validate", "catalog/providers/groq.yaml", cwd=catalog_repo)
    whole = cli("validate", "--whole-catalog", "catalog/providers/groq.yaml", cwd=catalog_repo)
    assert (alone.code, whole.code) == (0, 1)
    assert whole.stdout.startswith("catalog/suggestions/groq.yaml:")


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    copy_catalog(root / "infra" / "ai")
    EXAMPLES["provider-unknown-key-typo"].put(root / "infra" / "ai")
    return root


@pytest.mark.parametrize(
    ("cwd", "args"),
    [
        ("infra/ai", []),
        ("infra/ai/catalog/providers", []),
        ("", ["infra/ai/catalog/providers/groq.yaml"]),
        ("", ["--whole-catalog", "infra/ai/catalog/providers/groq.yaml", "infra/ai/catalog/config.yaml"]),
        ("", ["--repo", "infra/ai"]),
    ],
)
def test_in_a_monorepo_problems_name_the_file_by_its_path_in_the_repository(
    cli: Cli, monorepo: Path, cwd: str, args: list[str]
) -> None:
    run = cli("validate", *args, cwd=monorepo / cwd)
    assert run.code == 1
    assert run.stdout.splitlines() == [
        "infra/ai/catalog/providers/groq.yaml:3:1: the required key 'models' is missing",
        "infra/ai/catalog/providers/groq.yaml:20:1: unknown key 'modles'; did you mean 'models'?",
    ]


def test_in_a_monorepo_github_annotations_name_the_file_from_the_repository_root(
    cli: Cli, monorepo: Path
) -> None:
    run = cli("validate", "--format", "github", cwd=monorepo / "infra" / "ai")
    assert run.stdout.splitlines()[1] == (
        "::error file=infra/ai/catalog/providers/groq.yaml,line=20,col=1::"
        "unknown key 'modles'; did you mean 'models'?"
    )


def test_from_the_root_of_a_monorepo_without_paths_nothing_is_validated(cli: Cli, monorepo: Path) -> None:
    run = cli("validate", cwd=monorepo)
    assert (run.code, run.stdout, "no catalog/ folder in" in run.stderr) == (1, "", True)


def test_a_file_in_no_catalog_inside_a_git_repository_is_not_checked_against_the_starter(
    cli: Cli, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    loose = tmp_path / "groq.yaml"
    loose.write_bytes(EXAMPLES["provider-bad-enum"].raw)
    run = cli("validate", loose, cwd=tmp_path)
    assert (run.code, "no catalog/ folder in" in run.stderr) == (1, True)
