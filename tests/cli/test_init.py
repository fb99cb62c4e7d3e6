"""``freegin-ai init``: a catalog repository that validates, workflows that pass GitHub's schema
and actionlint and run as written, a pinned pre-commit hook, and nothing written over a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from freegin_gitops.adapters.tool_source import tool_source
from freegin_gitops.core.starter import pin_for
from freegin_gitops.services.init import plan_init, write_init
from tests.helpers import STARTER_CATALOG, Cli, git, invalid_examples
from tests.support.workflow_linters import actionlint, check_jsonschema

EXAMPLES = {e.name: e for e in invalid_examples()}
WORKFLOWS = (".github/workflows/validate.yml", ".github/workflows/refresh.yml")


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "trunk")  # whatever the default branch, nothing assumes main
    return path


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if ".git" not in p.parts)


def load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return new_repo(tmp_path / "my-catalog")


def test_init_writes_a_catalog_that_validates(cli: Cli, repo: Path) -> None:
    run = cli("init", cwd=repo)
    assert run.code == 0, run.stderr
    assert cli("validate", cwd=repo).stdout == "14 catalog file(s) valid\n"
    starter = sorted(
        f"catalog/{p.relative_to(STARTER_CATALOG).as_posix()}" for p in STARTER_CATALOG.rglob("*.yaml")
    )
    assert [p for p in tree(repo) if p.startswith("catalog/") and p.endswith(".yaml")] == starter
    assert (repo / "catalog/providers/groq.yaml").read_bytes() == (
        STARTER_CATALOG / "providers/groq.yaml"
    ).read_bytes()


def test_init_writes_the_schemas_the_files_point_at(cli: Cli, repo: Path) -> None:
    cli("init", cwd=repo)
    first = (repo / "catalog/providers/groq.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/provider.schema.json"
    assert (repo / "catalog/providers" / "../../schemas/provider.schema.json").is_file()
    assert len(list((repo / "schemas").glob("*.schema.json"))) == 6


def test_init_says_what_it_wrote_and_what_to_do_next(cli: Cli, repo: Path) -> None:
    run = cli("init", cwd=repo)
    lines = run.stdout.splitlines()
    assert lines[0] == "wrote 23 files of a freegin-ai catalog repository:"
    assert "  .pre-commit-config.yaml" in lines and "  .github/workflows/refresh.yml" in lines
    steps = lines[lines.index("next steps:") + 1 :]
    assert steps[0] == '  1. git add -A && git commit -m "Start the freegin-ai catalog"'
    assert "pre-commit install" in steps[2] and "Allow GitHub Actions".lower() in steps[3].lower()
    assert "repository secrets (CEREBRAS_API_KEY, CLOUDFLARE_API_KEY, CLOUDFLARE_ACCOUNT_ID, ...)" in steps[3]


def test_an_empty_catalog_asks_for_no_secret(cli: Cli, repo: Path) -> None:
    steps = cli("init", "--empty", cwd=repo).stdout.splitlines()
    assert steps[-1].startswith(
        "  4. on GitHub: add the provider keys as repository secrets, and in Settings"
    )


def test_github_models_needs_no_secret(repo: Path) -> None:
    plan = plan_init(repo, empty=False, source=tool_source())
    assert "GITHUB_MODELS_TOKEN" not in plan.secrets and "GROQ_API_KEY" in plan.secrets


def test_outside_git_the_first_step_is_git_init(cli: Cli, tmp_path: Path) -> None:
    run = cli("init", "fresh", cwd=tmp_path)
    assert "  1. git init fresh" in run.stdout.splitlines()
    assert (tmp_path / "fresh/.pre-commit-config.yaml").is_file()


def test_the_written_files_pin_this_tool(cli: Cli, repo: Path) -> None:
    cli("init", cwd=repo)
    pin = pin_for(tool_source())
    assert pin is not None
    assert load(repo / ".pre-commit-config.yaml")["repos"][0]["rev"] == pin.rev
    for name in WORKFLOWS:
        assert f'python -m pip install "{pin.requirement}"' in (repo / name).read_text()


def test_pin_names_the_commit_the_files_install(cli: Cli, repo: Path) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    run = cli("init", "--pin", commit.upper(), cwd=repo)
    assert run.code == 0, run.stderr
    assert f"install freegin-ai {tool_source().version}, commit {commit[:12]}\n" in run.stdout
    assert load(repo / ".pre-commit-config.yaml")["repos"][0]["rev"] == commit
    for name in WORKFLOWS:
        text = (repo / name).read_text()
        assert f"freegin-ai @ git+https://github.com/freegin-ai/freegin-ai@{commit}" in text


@pytest.mark.parametrize(
    "value", ["main", "v0.1.0", "0123456789ab", "0123456789abcdef0123456789abcdef0123456z"]
)
def test_pin_takes_only_a_full_commit_id(cli: Cli, repo: Path, value: str) -> None:
    run = cli("init", "--pin", value, cwd=repo)
    assert (run.code, run.stdout) == (2, "")
    assert f"--pin '{value}': give a full 40-character commit id" in run.stderr
    assert tree(repo) == []


def test_empty_writes_workloads_and_config_only_and_validates(cli: Cli, repo: Path) -> None:
    assert cli("init", "--empty", cwd=repo).code == 0
    assert [p for p in tree(repo) if p.startswith("catalog/")] == [
        "catalog/config.yaml",
        "catalog/workloads.yaml",
    ]
    assert cli("validate", cwd=repo).stdout == "2 catalog file(s) valid\n"
    refresh = load(repo / WORKFLOWS[1])
    assert "models" not in refresh["permissions"]
    assert cli("list-models", "--json", cwd=repo).stdout == "[]\n"


def test_an_empty_catalog_refreshes_only_from_saved_answers(cli: Cli, repo: Path) -> None:
    cli("init", "--empty", cwd=repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "start")
    run = cli("refresh-models", "--dry-run", cwd=repo)
    assert (run.code, "names no refresh model" in run.stderr) == (1, True)


@pytest.mark.parametrize(
    "existing", [".pre-commit-config.yaml", ".github/workflows/validate.yml", "catalog/config.yaml"]
)
def test_init_refuses_to_write_over_a_file_and_then_writes_nothing(
    cli: Cli, repo: Path, existing: str
) -> None:
    (repo / existing).parent.mkdir(parents=True, exist_ok=True)
    (repo / existing).write_text("mine\n")
    before = tree(repo)
    run = cli("init", cwd=repo)
    assert run.code == 1
    assert run.stderr.startswith(f"freegin-ai: {existing} already exists; init writes no file over another")
    assert (tree(repo), (repo / existing).read_text()) == (before, "mine\n")


def test_a_monorepos_own_pre_commit_configuration_gets_advice_on_merging(cli: Cli, repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    run = cli("init", "infra/ai", cwd=repo)
    assert run.code == 1
    assert "move it aside, run init again, then merge yours back" in run.stderr
    assert "freegin-validate entry" in run.stderr
    (repo / "infra/ai/catalog").mkdir(parents=True)
    (repo / "infra/ai/catalog/config.yaml").write_text("mine\n")
    (repo / ".pre-commit-config.yaml").unlink()
    again = cli("init", "infra/ai", cwd=repo)
    assert "move it away, or start the catalog in another folder" in again.stderr


def test_two_existing_files_are_counted(cli: Cli, repo: Path) -> None:
    for name in (".pre-commit-config.yaml", "catalog/workloads.yaml"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("mine\n")
    run = cli("init", cwd=repo)
    assert run.stderr.startswith("freegin-ai: catalog/workloads.yaml already exists (and 1 more);")


def test_a_path_outside_the_current_folder_is_named_in_full(cli: Cli, repo: Path, tmp_path: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text("mine\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = cli("init", repo, cwd=elsewhere)
    assert run.stderr.startswith(f"freegin-ai: {repo / '.pre-commit-config.yaml'} already exists;")


def test_a_file_as_path_is_refused(cli: Cli, repo: Path) -> None:
    (repo / "infra").write_text("a file\n")
    run = cli("init", "infra", cwd=repo)
    assert (run.code, run.stderr.startswith("freegin-ai: infra already exists;")) == (1, True)
    assert tree(repo) == ["infra"]


def test_a_dangling_link_is_refused_not_followed(cli: Cli, repo: Path, tmp_path: Path) -> None:
    (repo / ".pre-commit-config.yaml").symlink_to(tmp_path / "nowhere")
    run = cli("init", cwd=repo)
    assert (run.code, (tmp_path / "nowhere").exists()) == (1, False)


def test_a_file_that_appears_while_writing_is_kept_and_the_rest_removed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freegin_gitops.errors import AlreadyExists
    from freegin_gitops.services.init import starter

    real = starter.create_new
    calls: list[Path] = []

    def someone_else_writes_the_fifth(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 5:
            path.write_bytes(b"theirs\n")
        real(path, data)

    monkeypatch.setattr(starter, "create_new", someone_else_writes_the_fifth)
    plan = plan_init(repo, empty=False, source=tool_source())
    with pytest.raises(AlreadyExists, match="appeared while init was writing; it was left alone") as raised:
        write_init(plan, repo)
    theirs = calls[4].relative_to(repo).as_posix()
    assert str(raised.value).startswith(f"{theirs} appeared")
    assert tree(repo) == sorted({theirs, *(p.as_posix() for p in Path(theirs).parents if str(p) != ".")})
    assert calls[4].read_bytes() == b"theirs\n"


def test_a_file_where_a_folder_goes_is_refused(cli: Cli, repo: Path) -> None:
    (repo / ".github").write_text("not a folder\n")
    run = cli("init", cwd=repo)
    assert (run.code, run.stderr.startswith("freegin-ai: .github already exists")) == (1, True)
    assert tree(repo) == [".github"]


def test_init_twice_refuses_the_second_time(cli: Cli, repo: Path) -> None:
    cli("init", cwd=repo)
    run = cli("init", cwd=repo)
    assert (run.code, "already exists (and 22 more)" in run.stderr) == (1, True)


def test_a_failed_write_removes_what_init_wrote(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from freegin_gitops.errors import FreeginError
    from freegin_gitops.services.init import starter

    real = starter.create_new
    calls = []

    def fail_on_the_fifth(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 5:
            raise FreeginError(f"{path} cannot be written: No space left on device")
        real(path, data)

    monkeypatch.setattr(starter, "create_new", fail_on_the_fifth)
    plan = plan_init(repo, empty=False, source=tool_source())
    with pytest.raises(FreeginError, match="No space left"):
        write_init(plan, repo)
    assert tree(repo) == []


@pytest.fixture
def monorepo(cli: Cli, tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "mono")
    (root / "src").mkdir()
    assert cli("init", "infra/ai", cwd=root).code == 0
    return root


def test_in_a_monorepo_the_catalog_goes_to_path_and_the_rest_to_the_root(monorepo: Path) -> None:
    files = tree(monorepo)
    assert "infra/ai/catalog/workloads.yaml" in files and "infra/ai/schemas/provider.schema.json" in files
    assert {".pre-commit-config.yaml", *WORKFLOWS} <= set(files)
    assert not any(f.startswith("infra/ai/.github") for f in files)


def test_in_a_monorepo_the_workflows_run_in_the_catalog_folder(monorepo: Path) -> None:
    for name in WORKFLOWS:
        (job,) = load(monorepo / name)["jobs"].values()
        assert job["defaults"]["run"]["working-directory"] == "infra/ai"
    paths = load(monorepo / WORKFLOWS[0])["on"]["pull_request"]["paths"]
    assert "infra/ai/catalog/**" in paths


def test_init_from_inside_a_sub_folder_of_a_repository(cli: Cli, tmp_path: Path) -> None:
    root = new_repo(tmp_path / "mono")
    (root / "infra" / "ai").mkdir(parents=True)
    assert cli("init", cwd=root / "infra" / "ai").code == 0
    assert (root / ".github/workflows/validate.yml").is_file() and (root / "infra/ai/catalog").is_dir()


@pytest.fixture
def written(cli: Cli, tmp_path: Path) -> list[Path]:
    """The workflows of a root catalog, a monorepo catalog and an empty one."""
    files = []
    for name, args in (("root", []), ("mono", ["infra/ai"]), ("empty", ["--empty"])):
        repo = new_repo(tmp_path / name)
        assert cli("init", *args, cwd=repo).code == 0
        files += [repo / w for w in WORKFLOWS]
    return files


def test_the_workflows_pass_githubs_workflow_schema(written: list[Path]) -> None:
    done = check_jsonschema(written)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflows_pass_actionlint(written: list[Path]) -> None:
    done = actionlint(written)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_problems(tmp_path: Path) -> None:
    """The check is real: an untrusted expression in a script is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    done = actionlint([bad])
    assert (done.returncode, "potentially untrusted" in done.stdout) == (1, True)


def run_steps(workflow: Path, root: Path, skip: str = "Install") -> list[subprocess.CompletedProcess[str]]:
    """Run the workflow's ``run:`` steps as GitHub would (bash -e, in its working directory),
    all but the install step: the tool under test is on the PATH already."""
    document = load(workflow)
    (job,) = document["jobs"].values()
    folder = root / job.get("defaults", {}).get("run", {}).get("working-directory", ".")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = []
    for step in job["steps"]:
        if "run" in step and not step.get("name", "").startswith(skip):
            done.append(
                subprocess.run(
                    ["bash", "-e", "-c", step["run"]],
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            )
    return done


@pytest.mark.parametrize("path", [".", "infra/ai"])
def test_the_validate_workflow_works_as_written(cli: Cli, tmp_path: Path, path: str) -> None:
    root = new_repo(tmp_path / "repo")
    cli("init", path, cwd=root)
    assert [r.returncode for r in run_steps(root / WORKFLOWS[0], root)] == [0, 0]
    EXAMPLES["provider-unknown-key-typo"].put(root / path)
    failed = run_steps(root / WORKFLOWS[0], root)[0]
    where = f"{path}/".removeprefix("./")
    assert failed.returncode == 1
    assert (
        f"::error file={where}catalog/providers/groq.yaml,line=20,col=1::unknown key 'modles'"
        in failed.stdout
    )


def test_the_validate_workflow_checks_a_kept_compiled_catalog(cli: Cli, repo: Path) -> None:
    cli("init", cwd=repo)
    cli("compile", "--output", "compiled/catalog.json", cwd=repo)
    assert [r.returncode for r in run_steps(repo / WORKFLOWS[0], repo)] == [0, 0]
    (repo / "compiled/catalog.json").write_text('{"schema_version": 1}\n')
    assert [r.returncode for r in run_steps(repo / WORKFLOWS[0], repo)] == [0, 1]


def test_the_refresh_workflow_names_each_provider_key_of_the_catalog(cli: Cli, repo: Path) -> None:
    cli("init", cwd=repo)
    env = load(repo / WORKFLOWS[1])["jobs"]["refresh"]["steps"][-1]["env"]
    keys = set()
    for provider in (repo / "catalog/providers").glob("*.yaml"):
        key = yaml.safe_load(provider.read_text())["api"].get("api_key_env")
        if key:
            keys.add(key)
    assert keys - set(env) == set()
    assert env["GITHUB_MODELS_TOKEN"] == "${{ github.token }}" and env["CLOUDFLARE_ACCOUNT_ID"].startswith(
        "${{ secrets."
    )
