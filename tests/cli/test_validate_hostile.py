"""``validate`` on a pull request as an attacker would write it: links out of the catalog, a link
to /dev/zero, a FIFO, a folder named like a file, an unreadable folder, an oversized file.

Each case is a real git repository: links are committed, pushed, and checked out in a fresh
clone as a CI job would check out a pull request from a fork. Nothing behind a refused path may
reach the output, and nothing may block or fill memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Cli, git

TOKEN = "c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1ub3QtbGVhaw=="  # base64 of a made-up token


def pull_request(catalog_repo: Path, tmp_path: Path, links: dict[str, str]) -> Path:
    """Commit ``links`` (path -> target) in the repository, push, and return a fresh clone with
    the checkout's credentials in .git/config, as actions/checkout leaves them."""
    for path, target in links.items():
        link = catalog_repo / path
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)
    git(catalog_repo, "add", "--all")
    git(catalog_repo, "commit", "-q", "-m", "A pull request from a fork")
    git(catalog_repo, "push", "-q", "origin", "main")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(checkout))
    git(checkout, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {TOKEN}")
    return checkout


def annotations(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("::error")]


def test_links_out_of_the_catalog_are_refused_and_never_read(cli: Cli, catalog_repo: Path, tmp_path: Path):
    checkout = pull_request(
        catalog_repo,
        tmp_path,
        {
            "catalog/providers/passwd.yaml": "/etc/passwd",
            "catalog/providers/creds.yaml": "../../.git/config",
            "catalog/suggestions/up.yaml": "../../../origin.git/config",
        },
    )
    assert (checkout / "catalog/providers/passwd.yaml").is_symlink()  # git checked the link out
    run = cli("validate", "--format", "github", cwd=checkout)
    assert run.code == 1
    outside = (
        "is a symbolic link to a file outside the catalog folder; it was not read (catalog files "
        "must be regular files, or links to catalog files)"
    )
    assert annotations(run.stdout) == [
        f"::error file=catalog/providers/creds.yaml::{outside}",
        f"::error file=catalog/providers/passwd.yaml::{outside}",
        f"::error file=catalog/suggestions/up.yaml::{outside}",
    ]
    assert "root:" not in run.output
    assert TOKEN[:12] not in run.output
    assert "bare = true" not in run.output


def test_a_link_named_on_the_command_line_is_refused_too(cli: Cli, catalog_repo: Path, tmp_path: Path):
    checkout = pull_request(catalog_repo, tmp_path, {"catalog/providers/passwd.yaml": "/etc/passwd"})
    run = cli("validate", "catalog/providers/passwd.yaml", "--format", "json", cwd=checkout)
    assert run.code == 1
    report = json.loads(run.stdout)
    assert [(p["file"], p["line"], p["col"]) for p in report["problems"]] == [
        ("catalog/providers/passwd.yaml", None, None)
    ]
    assert "root:" not in run.output


def test_every_other_command_refuses_such_a_catalog_in_one_sentence(
    cli: Cli, catalog_repo: Path, tmp_path: Path
):
    checkout = pull_request(catalog_repo, tmp_path, {"catalog/providers/passwd.yaml": "/etc/passwd"})
    for command in (["compile"], ["list-models"], ["route"], ["adopt-model", "groq", "x"]):
        run = cli(*command, cwd=checkout)
        assert run.code == 1, command
        assert run.stderr.startswith(
            "freegin-ai: catalog/providers/passwd.yaml: is a symbolic link to a file outside the catalog"
        ), (command, run.stderr)
        assert run.stderr.count("\n") == 1
        assert "root:" not in run.output


@pytest.mark.timeout(30)
def test_a_link_to_dev_zero_is_refused_without_reading(cli: Cli, catalog_repo: Path, tmp_path: Path):
    checkout = pull_request(catalog_repo, tmp_path, {"catalog/providers/zero.yaml": "/dev/zero"})
    run = cli("validate", cwd=checkout)
    assert run.code == 1
    assert run.stdout == (
        "catalog/providers/zero.yaml: is a symbolic link to a file outside the catalog folder; it was "
        "not read (catalog files must be regular files, or links to catalog files)\n"
    )


@pytest.mark.timeout(30)
def test_a_fifo_in_the_work_tree_is_refused_without_blocking(cli: Cli, catalog_repo: Path):
    os.mkfifo(catalog_repo / "catalog/providers/pipe.yaml")
    run = cli("validate", cwd=catalog_repo)
    assert run.code == 1
    assert run.stdout == (
        "catalog/providers/pipe.yaml: is a FIFO (named pipe), not a regular file; it was not read\n"
    )


@pytest.mark.timeout(30)
def test_a_link_to_a_fifo_inside_the_catalog_is_refused_too(cli: Cli, catalog_repo: Path):
    os.mkfifo(catalog_repo / "catalog/.pipe")
    os.symlink("../.pipe", catalog_repo / "catalog/providers/pipe.yaml")
    run = cli("validate", cwd=catalog_repo)
    assert run.stdout == (
        "catalog/providers/pipe.yaml: is a symbolic link to a FIFO (named pipe), not to a regular "
        "file; it was not read\n"
    )


def test_a_folder_named_like_a_catalog_file_is_one_problem(cli: Cli, catalog_repo: Path):
    folder = catalog_repo / "catalog/providers/groq2.yaml"
    folder.mkdir()
    shutil.copy(catalog_repo / "catalog/providers/groq.yaml", folder / "groq.yaml")
    run = cli("validate", cwd=catalog_repo)
    assert run.code == 1
    assert run.stdout == "catalog/providers/groq2.yaml: is a folder, not a catalog file\n"


def test_a_link_to_a_folder_is_not_followed(cli: Cli, catalog_repo: Path, tmp_path: Path):
    checkout = pull_request(catalog_repo, tmp_path, {"catalog/providers/etc": "/etc"})
    run = cli("validate", cwd=checkout)
    assert run.stdout == (
        "catalog/providers/etc: is a symbolic link to a folder; catalog folders are not followed "
        "through links\n"
    )


def test_a_link_to_a_catalog_file_inside_the_catalog_is_followed(cli: Cli, catalog_repo: Path):
    shared = catalog_repo / "catalog/.shared"
    shared.mkdir()
    (catalog_repo / "catalog/providers/groq.yaml").rename(shared / "groq.yaml")
    os.symlink("../.shared/groq.yaml", catalog_repo / "catalog/providers/groq.yaml")
    run = cli("validate", cwd=catalog_repo)
    assert (run.code, run.stdout) == (0, "14 catalog file(s) valid\n")


def test_a_dangling_link_is_one_problem(cli: Cli, catalog_repo: Path):
    os.symlink("nowhere.yaml", catalog_repo / "catalog/providers/gone.yaml")
    run = cli("validate", cwd=catalog_repo)
    assert (
        run.stdout
        == "catalog/providers/gone.yaml: is a symbolic link that points nowhere; nothing was read\n"
    )


def test_a_file_over_the_size_cap_is_refused(cli: Cli, catalog_repo: Path, monkeypatch: pytest.MonkeyPatch):
    sizes = {p: p.stat().st_size for p in (catalog_repo / "catalog").rglob("*.yaml")}
    biggest = max(sizes, key=sizes.__getitem__)
    size = sizes[biggest]
    assert sorted(sizes.values())[-2] < size
    monkeypatch.setenv("FREEGIN_MAX_FILE_BYTES", str(size))
    assert cli("validate", cwd=catalog_repo).code == 0  # exactly at the cap is fine
    monkeypatch.setenv("FREEGIN_MAX_FILE_BYTES", str(size - 1))
    run = cli("validate", "--format", "github", cwd=catalog_repo)
    assert run.code == 1
    assert annotations(run.stdout) == [
        f"::error file={biggest.relative_to(catalog_repo).as_posix()}::is {size} bytes, over the "
        f"{size - 1} bytes a catalog file may have (FREEGIN_MAX_FILE_BYTES); it was not read"
    ]


def test_an_unreadable_folder_is_one_problem_naming_it(catalog_repo: Path):
    providers = catalog_repo / "catalog/providers"
    providers.chmod(0)
    command = [sys.executable, "-m", "freegin_gitops", "validate"]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    try:
        done = subprocess.run(command, cwd=catalog_repo, capture_output=True, text=True, check=False)
    finally:
        providers.chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stdout == (
        "catalog/providers: cannot be read (Permission denied); the files in it were not checked\n"
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd"])
def test_compile_check_refuses_a_compiled_file_that_is_a_link(
    cli: Cli, catalog_repo: Path, tmp_path: Path, target: str
):
    checkout = pull_request(catalog_repo, tmp_path, {"compiled/catalog.json": target})
    run = cli("compile", "--output", "compiled/catalog.json", "--check", cwd=checkout)
    assert run.code == 1
    assert run.stderr == (
        "freegin-ai: compiled/catalog.json is a symbolic link; it was not followed; "
        "run: freegin-ai compile --output compiled/catalog.json\n"
    )


def test_compile_check_refuses_json_nested_too_deeply(cli: Cli, catalog_repo: Path):
    (catalog_repo / "compiled").mkdir()
    (catalog_repo / "compiled/catalog.json").write_text("[" * 100_000)
    run = cli("compile", "--output", "compiled/catalog.json", "--check", cwd=catalog_repo)
    assert (run.code, run.stderr) == (
        1,
        "freegin-ai: compiled/catalog.json cannot be read as JSON (it is nested too deeply); "
        "run: freegin-ai compile --output compiled/catalog.json\n",
    )


def test_a_catalog_read_at_a_git_ref_refuses_links_and_oversized_files(
    cli: Cli, catalog_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    checkout = pull_request(catalog_repo, tmp_path, {"catalog/providers/passwd.yaml": "/etc/passwd"})
    head = git(checkout, "rev-parse", "HEAD").strip()
    run = cli("--repo", checkout, "route", "--ref", "HEAD")
    assert run.code == 1
    assert run.stderr == (
        f"freegin-ai: catalog/providers/passwd.yaml: is a symbolic link at {head[:12]}; catalog files "
        "read from git must be regular files\n"
    )
    monkeypatch.setenv("FREEGIN_MAX_FILE_BYTES", "100")
    run = cli("route", "--ref", "HEAD~1", "--repo", catalog_repo)
    assert run.code == 1
    assert "bytes at " in run.stderr and "(FREEGIN_MAX_FILE_BYTES); it was not read" in run.stderr
    assert "and 13 more problem(s)" in run.stderr
