"""What ``freegin-ai init [PATH] [--empty]`` writes, and writing it.

The catalog (the bundled starter catalog, or with ``--empty`` its workloads and an empty config)
and ``schemas/`` go to PATH; the workflows and ``.pre-commit-config.yaml`` to the root of the git
repository around PATH (GitHub and pre-commit read them only there), or to PATH itself outside
git. Nothing is written over an existing file: every target is checked first, and each file is
created with a link that fails if the name appeared meanwhile; if any write fails, the files
already written (and the folders made for them) are removed again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.adapters.files import create_new
from freegin_gitops.adapters.git.tree import toplevel
from freegin_gitops.core.layout import CONFIG_FILE, WORKLOADS_FILE
from freegin_gitops.core.starter import (
    EMPTY_CONFIG,
    PRE_COMMIT_CONFIG,
    REFRESH_WORKFLOW,
    VALIDATE_WORKFLOW,
    Pin,
    StarterLayout,
    ToolSource,
    layout_for,
    pin_for,
    pre_commit_config,
    refresh_workflow,
    validate_workflow,
)
from freegin_gitops.errors import AlreadyExists, FileError, FreeginError
from freegin_gitops.resources import bundled_root, schemas_dir
from freegin_gitops.services.catalog.loading import load_files


@dataclass(frozen=True, slots=True)
class InitPlan:
    """Where ``init`` writes: ``target`` gets ``catalog/`` and ``schemas/``, ``repo_root`` the
    workflows and the pre-commit configuration; ``files`` maps each path to its bytes."""

    target: Path
    repo_root: Path
    in_git: bool
    pin: Pin
    layout: StarterLayout
    files: Mapping[Path, bytes]

    @property
    def secrets(self) -> list[str]:
        """The repository secrets the refresh workflow reads (provider keys)."""
        return [v.name for v in self.layout.variables if not v.github_models]


def _catalog_files(empty: bool) -> dict[str, bytes]:
    starter = read_catalog_dir(bundled_root())
    if not empty:
        return starter
    return {WORKLOADS_FILE: starter[WORKLOADS_FILE], CONFIG_FILE: EMPTY_CONFIG.encode()}


def plan_init(target: Path, *, empty: bool, source: ToolSource) -> InitPlan:
    """What ``init`` would write for the folder ``target`` (resolved; it need not exist yet)."""
    target = target.resolve()
    top = toplevel(target)
    repo_root = top if top is not None else target
    catalog = _catalog_files(empty)
    providers = load_files(catalog).require_catalog().providers.values()
    prefix = "" if target == repo_root else target.relative_to(repo_root).as_posix() + "/"
    layout = layout_for(prefix, providers)
    pin = pin_for(source)
    if pin is None:
        raise FreeginError(
            f"this freegin-ai {source.version} cannot tell the commit it was built from (it was "
            "installed from an sdist or a folder that is not a git checkout), and the workflows and "
            "the pre-commit hook init writes install the tool pinned to a commit: name one with "
            f"--pin COMMIT (a full commit id of {source.repository}), or install from git "
            f'(pip install "freegin-ai @ git+{source.repository}@COMMIT"); nothing was written'
        )
    files: dict[Path, bytes] = {target / rel: data for rel, data in sorted(catalog.items())}
    for schema in sorted(schemas_dir().glob("*.schema.json")):
        files[target / "schemas" / schema.name] = schema.read_bytes()
    files[repo_root / VALIDATE_WORKFLOW] = validate_workflow(pin, layout).encode()
    files[repo_root / REFRESH_WORKFLOW] = refresh_workflow(pin, layout).encode()
    files[repo_root / PRE_COMMIT_CONFIG] = pre_commit_config(pin, layout).encode()
    return InitPlan(target, repo_root, top is not None, pin, layout, files)


def _shown(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _refuse_existing(plan: InitPlan, base: Path) -> None:
    """:class:`AlreadyExists` naming the first file to write that is there already, or the first
    thing that is not a folder where a folder must be made (``.github`` as a file, PATH itself)."""
    existing: list[Path] = []
    for path in plan.files:
        for place in (path, *path.parents):
            if place != path and place.is_dir():
                break  # an existing folder: everything above it exists too
            if os.path.lexists(place):
                if place not in existing:
                    existing.append(place)
                break
    if existing:
        first = _shown(existing[0], base)
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        if plan.target in existing[0].parents or existing[0] == plan.target:
            advice = "move it away, or start the catalog in another folder (freegin-ai init PATH)"
        else:  # the repository's own workflows or pre-commit configuration, at its root
            advice = (
                "move it aside, run init again, then merge yours back into the file init wrote "
                "(for .pre-commit-config.yaml, keep yours and add init's freegin-validate entry)"
            )
        raise AlreadyExists(
            f"{first} already exists{more}; init writes no file over another, so it wrote nothing: {advice}",
            existing[0],
        )


def _remove(written: list[Path], made: list[Path]) -> None:
    for path in reversed(written):
        path.unlink(missing_ok=True)
    for folder in reversed(made):
        with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
            folder.rmdir()


def write_init(plan: InitPlan, base: Path | None = None) -> list[Path]:
    """Write every file of ``plan``; :class:`AlreadyExists` (nothing written) if any is there.
    ``base`` is the folder paths in messages are shown relative to."""
    base = base or Path.cwd()
    _refuse_existing(plan, base)
    written: list[Path] = []
    made: list[Path] = []
    try:
        for path, data in plan.files.items():
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                try:
                    folder.mkdir()
                except OSError as exc:
                    raise FileError(f"{_shown(folder, base)} cannot be made: {exc.strerror}") from exc
                made.append(folder)
            create_new(path, data)
            written.append(path)
    except AlreadyExists as exc:
        _remove(written, made)
        raise AlreadyExists(
            f"{_shown(exc.path, base)} appeared while init was writing; it was left alone and "
            "nothing else was kept",
            exc.path,
        ) from None
    except BaseException:
        _remove(written, made)
        raise
    return written
