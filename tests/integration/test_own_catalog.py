"""A new user's own catalog, end to end: freegin-ai installed (not editable) in a fresh
virtualenv, ``git init`` and ``freegin-ai init``, then validate from the root, from a sub-folder,
through the written ``.pre-commit-config.yaml`` with the real pre-commit, and with
``pre-commit try-repo`` of this repository; at the root of a repository and in a monorepo's
``infra/ai/``.

Nothing is fetched: pip installs from a wheelhouse repacked from this test environment, and git
maps the pinned GitHub URL to this repository, so the hook pre-commit installs is this
repository's at the commit the tool was built from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from freegin_gitops.adapters.tool_source import DEFAULT_REPOSITORY
from tests.helpers import ROOT, git
from tests.support.fake_github import FakeGitHub
from tests.support.wheelhouse import build_wheelhouse, offline_pip_env

pytestmark = pytest.mark.slow

TYPO_LINE = 20  # `models:` of the starter groq.yaml (line 1 is the schema line)
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def _quiet_env(home: Path) -> dict[str, str]:
    """For work done before a test's own isolation applies (session fixtures)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "GIT_", "XDG_"))}
    env.update(HOME=str(home), PIP_NO_CACHE_DIR="1")
    return env


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def fresh_tool(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """The bin/ folder of a fresh virtualenv with freegin-ai installed from this checkout, as
    ``pip install .`` does (a wheel: not editable)."""
    return _install(tmp_path_factory.mktemp("fresh"), ROOT, wheelhouse)


def _install(venv_base: Path, source: Path, wheelhouse: Path) -> Path:
    venv = venv_base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    env = {**_quiet_env(venv_base), **offline_pip_env(wheelhouse)}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


@pytest.fixture(scope="session")
def copy_tool(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """The bin/ folder of a fresh virtualenv with freegin-ai installed from a copy of this
    checkout's files that is not a git checkout (as from an sdist or a downloaded source tree):
    the tool cannot tell the commit it was built from."""
    base = tmp_path_factory.mktemp("copy")
    source = base / "freegin-ai"
    for name in git(ROOT, "ls-files", "-z").split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return _install(base, source, wheelhouse)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def env(fresh_tool: Path, wheelhouse: Path, pre_commit_home: Path) -> dict[str, str]:
    """The environment of a user who installed the tool in a virtualenv: its bin/ on the PATH;
    offline pip; git redirecting the pinned repository URL to this checkout (for pre-commit,
    which keeps only GIT_CONFIG_COUNT-style settings from the environment)."""
    return {
        **os.environ,
        **offline_pip_env(wheelhouse),
        "PATH": f"{fresh_tool}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(pre_commit_home),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(pre_commit_home / "virtualenv"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{ROOT}.insteadOf",
        "GIT_CONFIG_VALUE_0": DEFAULT_REPOSITORY,
    }


def run(args: list[str | Path], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def freegin(env: Mapping[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["freegin-ai", *args], cwd, env)


def start(root: Path, env: Mapping[str, str], *init_args: str) -> Path:
    """``git init``, ``freegin-ai init``, commit: what the README's own-catalog section says."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "trunk")
    done = freegin(env, root, "init", *init_args)
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Start the freegin-ai catalog")
    return root


def typo(catalog_root: Path) -> str:
    """Misspell ``models:`` in the groq provider file; return the file's path."""
    path = catalog_root / "catalog" / "providers" / "groq.yaml"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[TYPO_LINE - 1] == "models:\n"
    lines[TYPO_LINE - 1] = "modles:\n"
    path.write_text("".join(lines))
    return path


@pytest.fixture
def at_root(tmp_path: Path, env: dict[str, str]) -> Path:
    return start(tmp_path / "my-catalog", env)


@pytest.fixture
def monorepo(tmp_path: Path, env: dict[str, str]) -> Path:
    root = tmp_path / "mono"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hello')\n")
    return start(root, env, "infra/ai")


LAYOUTS = [("at_root", ""), ("monorepo", "infra/ai/")]


def named(output: str, prefix: str) -> bool:
    return f"{prefix}catalog/providers/groq.yaml:{TYPO_LINE}:1: unknown key 'modles'" in output


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_the_new_catalog_validates(
    request: pytest.FixtureRequest, env: dict[str, str], layout: str, prefix: str
) -> None:
    root: Path = request.getfixturevalue(layout)
    done = freegin(env, root / prefix, "validate")
    assert (done.returncode, done.stdout, done.stderr) == (0, "14 catalog file(s) valid\n", "")


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
@pytest.mark.parametrize("where", ["catalog root", "sub-folder", "repository root with the file"])
def test_a_typo_fails_validate_naming_file_and_line(
    request: pytest.FixtureRequest, env: dict[str, str], layout: str, prefix: str, where: str
) -> None:
    root: Path = request.getfixturevalue(layout)
    typo(root / prefix)
    if where == "catalog root":
        done = freegin(env, root / prefix, "validate")
    elif where == "sub-folder":
        done = freegin(env, root / prefix / "catalog" / "providers", "validate")
    else:
        done = freegin(env, root, "validate", f"{prefix}catalog/providers/groq.yaml")
    assert done.returncode == 1
    assert named(done.stdout, prefix), done.stdout + done.stderr


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_pre_commit_with_the_written_config(
    request: pytest.FixtureRequest, env: dict[str, str], layout: str, prefix: str
) -> None:
    root: Path = request.getfixturevalue(layout)
    clean = run([PRE_COMMIT, "run", "--all-files"], root, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    typo(root / prefix)
    done = run([PRE_COMMIT, "run", "--all-files"], root, env)
    assert done.returncode == 1
    assert "freegin-ai validate" in done.stdout and "Failed" in done.stdout
    assert named(done.stdout, prefix), done.stdout + done.stderr


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_pre_commit_try_repo_of_this_repository(
    request: pytest.FixtureRequest, env: dict[str, str], layout: str, prefix: str
) -> None:
    root: Path = request.getfixturevalue(layout)
    typo(root / prefix)
    done = run([PRE_COMMIT, "try-repo", ROOT, "freegin-validate", "--all-files"], root, env)
    assert done.returncode == 1
    assert named(done.stdout, prefix), done.stdout + done.stderr


def test_the_hook_with_args_naming_the_catalog(monorepo: Path, env: dict[str, str]) -> None:
    config = monorepo / ".pre-commit-config.yaml"
    config.write_text(config.read_text() + "        args: [--repo, infra/ai]\n")
    git(monorepo, "commit", "-qam", "Name the catalog")
    typo(monorepo / "infra" / "ai")
    done = run([PRE_COMMIT, "run", "--all-files"], monorepo, env)
    assert done.returncode == 1
    assert named(done.stdout, "infra/ai/"), done.stdout + done.stderr


def test_the_git_hook_refuses_a_commit_that_breaks_another_file(at_root: Path, env: dict[str, str]) -> None:
    """Only the provider file is staged (a model adopted by hand), yet the problem is in the
    suggestions file, whose suggestion is now stale: the hook checks the whole catalog of the
    files it is given."""
    assert run([PRE_COMMIT, "install"], at_root, env).returncode == 0
    groq = at_root / "catalog/providers/groq.yaml"
    groq.write_text(
        groq.read_text()
        + "  - id: moonshotai/kimi-k2-instruct-0905\n    workloads: [code]\n    status: active\n"
        "    added: 2026-11-26\n"
    )
    git(at_root, "add", "catalog/providers/groq.yaml")
    done = run(["git", "commit", "-m", "Adopt by hand"], at_root, env)
    assert done.returncode == 1
    assert "catalog/suggestions/groq.yaml:" in done.stdout + done.stderr
    assert git(at_root, "rev-list", "--count", "HEAD").strip() == "1"


def test_inside_a_git_repository_without_a_catalog_validate_fails(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    git(project, "init", "-q", "-b", "trunk")
    done = freegin(env, project / "src", "validate")
    assert (done.returncode, done.stdout) == (1, "")
    assert f"no catalog/ folder in {project / 'src'} or any folder above it up to {project}" in done.stderr


def test_after_refresh_and_adopt_compile_check_is_green_on_the_branch(
    at_root: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """The catalog keeps its compiled file; a refresh from a saved answer is pushed to a bare
    origin and its pull request opened on a loopback GitHub API, a reviewer adopts the suggestion
    on the branch with --commit: compile --check (what the written validate.yml runs) passes on
    the branch after each step."""
    assert freegin(env, at_root, "compile", "--output", "compiled/catalog.json").returncode == 0
    git(at_root, "add", "compiled")
    git(at_root, "commit", "-q", "-m", "Keep the compiled catalog")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(at_root, "remote", "add", "origin", str(origin))
    git(at_root, "push", "-q", "origin", "trunk")
    answer = tmp_path / "answer.json"
    answer.write_text(
        '{"workload": "code", "recommendations": [{"model": "qwen/qwen3-coder-480b", '
        '"reason": "Code model.", "cost": "free", "speed": "fast"}]}'
    )
    with FakeGitHub(repository="me/my-catalog") as github:
        api = {
            "GITHUB_TOKEN": github.token,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_REPOSITORY": github.full_name,
        }
        args = ("refresh-models", "groq", "--from-file", str(answer), "--push", "--open-pr")
        pushed = freegin({**env, **api}, at_root, *args)
        assert pushed.returncode == 0, pushed.stderr
        (pull,) = github.open_pulls()
        assert (pull.head, pull.base) == ("freegin/refresh/groq", "trunk")
        assert "qwen/qwen3-coder-480b" in (pull.body or "")
    assert "compiled/catalog.json regenerated" in pushed.stdout
    review = tmp_path / "review"
    subprocess.run(["git", "clone", "-q", "-b", "freegin/refresh/groq", str(origin), str(review)], check=True)
    check = ("compile", "--output", "compiled/catalog.json", "--check")
    assert freegin(env, review, *check).returncode == 0
    adopted = freegin(env, review, "adopt-model", "groq", "qwen/qwen3-coder-480b", "--commit")
    assert adopted.returncode == 0, adopted.stderr
    done = freegin(env, review, *check)
    assert done.returncode == 0, done.stderr
    assert git(review, "status", "--porcelain") == ""


def test_a_tool_that_cannot_tell_its_commit_asks_for_one_then_pins_it(
    tmp_path: Path, env: dict[str, str], copy_tool: Path, fresh_tool: Path
) -> None:
    """Installed from files that are not a git checkout, init writes no pin to a release that
    does not exist: it asks for --pin, and the files it then writes work with pre-commit."""
    user = {**env, "PATH": env["PATH"].replace(str(fresh_tool), str(copy_tool), 1)}
    root = tmp_path / "my-catalog"
    root.mkdir()
    git(root, "init", "-q", "-b", "trunk")
    refused = freegin(user, root, "init")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert "cannot tell the commit it was built from" in refused.stderr
    assert "--pin COMMIT" in refused.stderr and "nothing was written" in refused.stderr
    assert sorted(p.name for p in root.iterdir()) == [".git"]
    head = git(ROOT, "rev-parse", "HEAD").strip()
    done = freegin(user, root, "init", "--pin", head)
    assert done.returncode == 0, done.stderr
    assert f"commit {head[:12]}" in done.stdout
    for name in (".github/workflows/validate.yml", ".github/workflows/refresh.yml"):
        text = (root / name).read_text()
        assert f'pip install "freegin-ai @ git+{DEFAULT_REPOSITORY}@{head}"' in text
        assert "==" not in text
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Start the freegin-ai catalog")
    typo(root)
    hooked = run([PRE_COMMIT, "run", "--all-files"], root, user)
    assert hooked.returncode == 1
    assert named(hooked.stdout, ""), hooked.stdout + hooked.stderr


def test_outside_git_the_bundled_catalog_is_read_with_a_notice(tmp_path: Path, env: dict[str, str]) -> None:
    """From a folder in no git repository and with no catalog: the starter catalog bundled in the
    installed wheel, read-only, announced in one line on stderr."""
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()
    assert run(["git", "rev-parse", "--show-toplevel"], somewhere, env).returncode != 0
    done = freegin(env, somewhere, "validate")
    assert (done.returncode, done.stdout) == (0, "14 catalog file(s) valid\n")
    assert done.stderr.startswith("freegin-ai: using the bundled starter catalog (read-only)")
    assert len(done.stderr.splitlines()) == 1
    refused = freegin(env, somewhere, "adopt-model", "groq", "qwen/qwen3-coder-480b")
    assert refused.returncode == 1 and "is read-only" in refused.stderr


def test_another_folder_named_catalog_is_not_taken_for_the_catalog(
    monorepo: Path, env: dict[str, str]
) -> None:
    """A monorepo's shop keeps its product catalog in src/shop/catalog/: the written hook passes
    only infra/ai's catalog files, so a commit there is not refused as a broken freegin-ai catalog."""
    shop = monorepo / "src" / "shop" / "catalog"
    shop.mkdir(parents=True)
    (shop / "items.yaml").write_text("items:\n  - sku: 1\n")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-q", "-m", "The shop's catalog")
    clean = run([PRE_COMMIT, "run", "--all-files"], monorepo, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    typo(monorepo / "infra" / "ai")
    done = run([PRE_COMMIT, "run", "--all-files"], monorepo, env)
    assert done.returncode == 1
    assert named(done.stdout, "infra/ai/") and "src/shop" not in done.stdout, done.stdout
