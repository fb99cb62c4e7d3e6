"""Shared fixtures: every test runs away from the real machine.

The autouse :func:`isolated` fixture moves HOME and the XDG folders into the test's tmp folder,
removes credentials and freegin settings from the environment, stops git from reading the real
configuration and changes into an empty folder. ``catalog_repo`` is a real git repository holding a
copy of the starter catalog, with a bare repository as ``origin``; ``cli`` runs the command line in
process, through the same ``main()`` that turns errors into exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import STARTER_CATALOG, Cli, Run, git, make_catalog_repo
from tests.support.postgres import fresh_schema, server_url

_REMOVED = (
    "FREEGIN_REPO",
    "FREEGIN_DB",
    "FREEGIN_CACHE_DIR",
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-postgres",
        action="store_true",
        help="fail, rather than skip, the PostgreSQL tests when FREEGIN_TEST_POSTGRES_URL is not set",
    )


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of the test PostgreSQL server whose search_path is a fresh schema of this test's
    own (see tests/support/postgres.py); skipped when no server is configured."""
    with fresh_schema(server_url(request.config)) as url:
        yield url


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every user-specific location into ``tmp_path``; return the (empty) working folder."""
    for name in list(os.environ):
        if name in _REMOVED or name.endswith(("_API_KEY", "_TOKEN")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_CONFIG_HOME", ".config"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("FREEGIN_DB", str(tmp_path / "state" / "usage.db"))
    monkeypatch.setenv("FREEGIN_CACHE_DIR", str(tmp_path / "state" / "cache"))
    gitconfig = home / ".gitconfig-tests"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Author")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.invalid")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def starter_catalog() -> Path:
    """The repository's own ``catalog/`` folder (read it, never write it)."""
    return STARTER_CATALOG


@pytest.fixture(scope="session")
def _catalog_repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("template")
    # Built before any test's isolation applies, so it isolates itself.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base))
        for role in ("AUTHOR", "COMMITTER"):
            patch.setenv(f"GIT_{role}_NAME", "Test Author")
            patch.setenv(f"GIT_{role}_EMAIL", "test@example.invalid")
        patch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        make_catalog_repo(base / "repo", origin=base / "origin.git")
    return base


@pytest.fixture
def catalog_repo(tmp_path: Path, _catalog_repo_template: Path) -> Path:
    """A real git repository with the starter catalog committed on ``main`` and pushed to a bare
    repository that is its ``origin`` (copied from one built per session, for speed)."""
    # cp is several times faster than shutil.copytree on the ~60 files of two small repositories.
    template = _catalog_repo_template
    copy = ["cp", "-a", str(template / "repo"), str(template / "origin.git"), str(tmp_path)]
    subprocess.run(copy, check=True)
    git(tmp_path / "repo", "remote", "set-url", "origin", str(tmp_path / "origin.git"))
    return tmp_path / "repo"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run ``freegin-ai ARGS...`` in process through ``main()``; return exit code, stdout, stderr.

    ``cwd`` runs the command from another folder. typer's ``CliRunner`` keeps stderr apart too, but
    it invokes ``app``, and only ``main()`` turns a ``FreeginError`` into its exit code and one
    sentence on stderr; so ``main()`` runs here, with ``sys.argv`` patched and output from capsys.
    """
    from freegin_gitops.cli.main import main

    def run(*args: str | os.PathLike[str], cwd: Path | None = None) -> Run:
        capsys.readouterr()
        with monkeypatch.context() as patch:
            patch.setattr(sys, "argv", ["freegin-ai", *map(str, args)])
            if cwd is not None:
                patch.chdir(cwd)
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            else:
                code = 0
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run
