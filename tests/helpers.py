"""Helpers shared by the tests: paths of the repository's own files, git, the invalid examples."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTER_CATALOG = ROOT / "catalog"
SCHEMAS = ROOT / "schemas"
EXAMPLES = Path(__file__).resolve().parent / "examples"
INVALID_EXAMPLES = EXAMPLES / "invalid"

_EXPECT = re.compile(r"^# expect: place=(?P<place>\S+) line=(?P<line>\d+) message=(?P<message>.+)$")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its standard output (raises on failure)."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def make_catalog_repo(root: Path, origin: Path | None = None) -> Path:
    """A git repository at ``root`` with the starter catalog committed on ``main``; with
    ``origin``, a bare repository there is added as ``origin`` and pushed to."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "--template=", "-b", "main")
    shutil.copytree(STARTER_CATALOG, root / "catalog")
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "Starter catalog")
    if origin is not None:
        subprocess.run(
            ["git", "init", "-q", "--template=", "--bare", "-b", "main", str(origin)],
            check=True,
            capture_output=True,
        )
        git(root, "remote", "add", "origin", str(origin))
        git(root, "push", "-q", "origin", "main")
    return root


def copy_catalog(root: Path) -> Path:
    """A plain folder (no git) at ``root`` holding a copy of the starter catalog."""
    shutil.copytree(STARTER_CATALOG, root / "catalog")
    return root


@dataclass(frozen=True)
class Example:
    """An invalid catalog file and what validating it must report (from its second line)."""

    name: str
    raw: bytes
    place: str
    line: int
    message: str

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        return self.name.split("-", 1)[0]

    def put(self, repo: Path) -> Path:
        """Write the example at its place in ``repo``; return the written file."""
        target = repo / self.place
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.raw)
        return target


def invalid_examples() -> list[Example]:
    examples = []
    for path in sorted(INVALID_EXAMPLES.glob("*.yaml")):
        raw = path.read_bytes()
        second = raw.split(b"\n")[1].decode("ascii")
        match = _EXPECT.match(second)
        assert match, f"{path.name}: line 2 must be '# expect: place=.. line=.. message=..'"
        examples.append(Example(path.stem, raw, match["place"], int(match["line"]), match["message"]))
    return examples


@dataclass(frozen=True)
class Run:
    """What one command-line run gave: exit code, standard output, standard error."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Cli = Callable[..., Run]
