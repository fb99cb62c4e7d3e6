"""Where the running freegin-ai came from, so that ``init`` can pin the workflows and the
pre-commit hook it writes to the very tool that wrote them.

Three records, the first found wins:

1. ``direct_url.json`` (PEP 610), which pip writes when it installs from git
   (``pip install "freegin-ai @ git+https://...@COMMIT"``): the repository and the commit; or
   from GitHub's archive of a commit (``pip install https://github.com/OWNER/REPO/archive/COMMIT.zip``);
2. ``_bundled/build.json``, written into the wheel by the build hook (``hatch_build.py``) when the
   wheel is built from a git checkout (``pip install .`` in a clone): the commit and whether the
   checkout had uncommitted changes;
3. a source checkout (an editable install): the checkout's HEAD, read with git.

Otherwise only the version is known, and ``init`` asks for the commit (``--pin``).
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.core.starter import ToolSource, is_commit_id
from freegin_gitops.resources import bundled_root

DISTRIBUTION = "freegin-ai"
DEFAULT_REPOSITORY = "https://github.com/freegin-ai/freegin-ai"
BUILD_INFO = "build.json"
_PACKAGE = Path(__file__).resolve().parent.parent
# GitHub's archive of one commit, as pip records an install from it (the URL names the commit).
_GITHUB_ARCHIVE = re.compile(r"(https://github\.com/[^/?#]+/[^/?#]+)/archive/([0-9a-f]{40})\.(?:zip|tar\.gz)")


def _json(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def canonical(dist: metadata.Distribution | None) -> str:
    """The project's repository, from its ``Project-URL: Source`` metadata."""
    if dist is not None:
        for entry in dist.metadata.get_all("Project-URL") or []:
            label, _, url = str(entry).partition(",")
            if label.strip().lower() == "source" and url.strip().startswith("https://"):
                return url.strip().removesuffix("/").removesuffix(".git")
    return DEFAULT_REPOSITORY


def from_records(
    direct_url: dict[str, Any],
    build_info: dict[str, Any],
    checkout: tuple[str | None, bool | None],
    canonical: str,
    version: str = __version__,
) -> ToolSource:
    """The tool's source from the three records (any may be empty), by their precedence."""
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and is_commit_id(vcs.get("commit_id")):
        url = str(direct_url.get("url", ""))
        # A GitHub Actions runner can install from an https URL, not from a path or over ssh.
        repository = url.removesuffix("/") if url.startswith("https://") else canonical
        return ToolSource(version, repository, vcs["commit_id"])
    archive = _GITHUB_ARCHIVE.fullmatch(str(direct_url.get("url", "")))
    if archive is not None and isinstance(direct_url.get("archive_info"), dict):
        return ToolSource(version, archive[1], archive[2])
    if is_commit_id(build_info.get("commit")):
        return ToolSource(version, canonical, build_info["commit"], bool(build_info.get("dirty")))
    commit, dirty = checkout
    if is_commit_id(commit):
        return ToolSource(version, canonical, commit, bool(dirty))
    return ToolSource(version, canonical)


def direct_url(dist: metadata.Distribution | None) -> dict[str, Any]:
    """pip's record of where it installed ``dist`` from (PEP 610), or {}."""
    return _json(dist.read_text("direct_url.json")) if dist is not None else {}


def checkout_of(source_root: Path) -> tuple[str | None, bool | None]:
    """HEAD and dirtiness of ``source_root`` when it is a checkout of this project itself (a
    ``pyproject.toml`` beside ``.git``), not a repository that merely holds a virtualenv."""
    if not ((source_root / "pyproject.toml").is_file() and (source_root / ".git").exists()):
        return None, None
    from freegin_gitops.adapters.git.tree import head_state

    return head_state(source_root, pathspec=".")


def tool_source() -> ToolSource:
    """Where the running freegin-ai came from."""
    try:
        dist: metadata.Distribution | None = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        dist = None
    try:
        build_info = _json((bundled_root() / BUILD_INFO).read_text(encoding="utf-8"))
    except OSError:
        build_info = {}
    return from_records(direct_url(dist), build_info, checkout_of(_PACKAGE.parent), canonical(dist))
