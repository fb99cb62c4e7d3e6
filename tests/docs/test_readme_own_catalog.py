"""The README's own-catalog section and its GitOps walk-through, run as a new user types them:
every ``$`` command of their console blocks, in order, in one shell, with git's default branch
something other than ``main``; and what the section must tell that user."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

README = (ROOT / "README.md").read_text(encoding="utf-8")
OWN = README[README.index("## Your own catalog, in your own repository") : README.index("## The GitOps flow")]
FLOW = README[README.index("## The GitOps flow") : README.index("## The model lifecycle")]
# Installing is what the test environment already did (no network here): freegin-ai is on the PATH.
INSTALL = re.compile(r"^(python3 -m venv |pip install )")


def commands(section: str) -> list[str]:
    """The ``$`` commands of the section's console blocks, heredocs joined to their command."""
    found: list[str] = []
    for block in re.findall(r"```console\n(.*?)```", section, re.DOTALL):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line.startswith("$ "):
                continue
            command = line[2:]
            heredoc = re.search(r"<<'(\w+)'", command)
            if heredoc:
                end = lines.index(heredoc[1], i)
                command = "\n".join([command, *lines[i : end + 1]])
                i = end + 1
            found.append(command)
    return found


def test_the_section_starts_from_pip_install_and_init() -> None:
    first = commands(OWN)
    assert [c for c in first if "pip install" in c or "freegin-ai init" in c][:2] == [
        'pip install "freegin-ai @ git+https://github.com/freegin-ai/freegin-ai@COMMIT"',
        "freegin-ai init",
    ]
    assert "clone" not in " ".join(first)


def test_no_release_or_tag_is_named_that_does_not_exist() -> None:
    """There are no releases: every pin shown is a commit placeholder, never a version."""
    revs = re.findall(r"rev:\s*([\w.-]+)", README)
    assert revs and set(revs) == {"COMMIT"}
    assert re.findall(r"freegin-ai==|freegin-ai@v\d|\bv\d+\.\d+\.\d+\b", README) == []


@pytest.mark.parametrize(
    "needle",
    [
        "Allow GitHub Actions to create and approve pull requests",
        "FREEGIN_PR_TOKEN",
        "fine-grained personal access token",
        "GitHub App installation token",
        "no activity for 60 days",
        "persist-credentials: false",
        "`models: read` only when",
    ],
)
def test_the_section_explains_what_github_needs(needle: str) -> None:
    assert needle in OWN


@pytest.mark.parametrize("default_branch", ["trunk", "master"])
def test_the_walk_through_runs_as_written_whatever_the_default_branch(
    tmp_path: Path, default_branch: str
) -> None:
    home = Path(os.environ["HOME"])
    (home / ".gitconfig-tests").write_text(
        f"[init]\n\tdefaultBranch = {default_branch}\n[commit]\n\tgpgsign = false\n"
    )
    steps = [c for c in commands(OWN) + commands(FLOW) if not INSTALL.match(c)]
    assert any(c.startswith("freegin-ai adopt-model") for c in steps)
    script = "set -euo pipefail\n" + "\n".join(f"echo '>>> step {n}'\n{c}" for n, c in enumerate(steps))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    failed = done.stdout.rsplit(">>> step ", 1)[-1].split("\n", 1)[0]
    assert done.returncode == 0, f"step {failed}: {steps[int(failed)]!r}\n{done.stdout[-2000:]}{done.stderr}"
    assert "14 catalog file(s) valid" in done.stdout
    assert f"would write branch freegin/refresh/groq from {default_branch}:" in done.stdout
    assert "leaving it alone" in done.stderr  # the reviewer's commits: a notice, exit 0
    repo = tmp_path / "my-catalog"
    merged = subprocess.run(
        ["git", "log", "--format=%s", default_branch], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert "catalog: adopt groq/meta-llama/llama-4-maverick-17b-128e-instruct for chat" in merged
