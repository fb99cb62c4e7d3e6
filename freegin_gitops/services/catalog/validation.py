"""``validate``: check the whole catalog, or only the files named, in the catalog's context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from freegin_gitops.adapters.catalog_dir import FileRefused, Refusal, read_regular, scan_catalog_dir
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core.layout import CONFIG_FILE, WORKLOADS_FILE, provider_file, suggestions_file
from freegin_gitops.core.problems import Problem
from freegin_gitops.core.rules import PROVIDER_ID
from freegin_gitops.errors import BadUsage
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.loading import load_parsed, parse_file
from freegin_gitops.services.catalog.parse_cache import ParseCache, load_cached
from freegin_gitops.services.catalog.repo import CatalogRepo, catalog_of_file

_SCHEMA_NAME = re.compile(r"\$schema=\S*?(provider|suggestions|workloads|config)\.schema\.json")


@dataclass(frozen=True, slots=True)
class ValidationReport:
    files: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _place(path: Path, raw: bytes) -> tuple[str, str]:
    """The kind of a file from outside the catalog layout, and where it would live in it.

    The kind comes from its folder or name, else its schema line, else its top-level keys; a
    provider file goes where its ``provider`` says (so the file-name rule does not fire on a copy
    named after its fault), else under its own name.
    """
    from freegin_gitops.adapters import yaml_read

    try:
        data = yaml_read.parse_bytes(raw)
    except yaml_read.YamlProblem:
        data = None  # parse_file reports why, with the line
    keys = set(data) if isinstance(data, dict) else set()
    match = _SCHEMA_NAME.search(raw[:300].decode("utf-8", "replace"))
    if path.parent.name in ("providers", "suggestions"):
        kind = "provider" if path.parent.name == "providers" else "suggestions"
    elif path.name in ("workloads.yaml", "config.yaml"):
        kind = path.name.removesuffix(".yaml")
    elif match:
        kind = match.group(1)
    elif "suggestions" in keys:
        kind = "suggestions"
    elif "workloads" in keys and "provider" not in keys:
        kind = "workloads"
    elif keys & {"refresh", "routing", "defaults"}:
        kind = "config"
    else:
        kind = "provider"
    if kind == "workloads":
        return kind, WORKLOADS_FILE
    if kind == "config":
        return kind, CONFIG_FILE
    if kind == "suggestions":
        return kind, suggestions_file(path.stem)
    named = data.get("provider") if isinstance(data, dict) else None
    if isinstance(named, str) and PROVIDER_ID.match(named):
        return kind, provider_file(named)
    return kind, provider_file(path.stem)


def _read_named(path: Path, root: Path, limit: int) -> bytes:
    """A file named on the command line: a regular file, or a link that stays in the repository
    (a link inside it pointing out is refused, as in the catalog folder)."""
    if path.is_symlink():
        target = path.resolve()
        inside = root == target or root in target.parents
        if root in path.parents and (not inside or ".git" in target.relative_to(root).parts):
            raise FileRefused("is a symbolic link out of the repository; it was not read")
        return read_regular(target, limit)
    return read_regular(path, limit)


def validate(
    repo: CatalogRepo, paths: Sequence[Path] = (), cwd: Path | None = None, *, whole: bool = False
) -> ValidationReport:
    """Validate the catalog of ``repo``; with ``paths``, report only those files' problems (with
    ``whole``, every problem of the catalog, and of those files). Catalog files are shown by their
    path in the git repository, as GitHub annotations and pre-commit need them."""
    limit = current_limits().max_file_bytes
    prefix = repo.git_prefix()
    if paths:
        scan = scan_catalog_dir(repo.root, limit)
    else:
        snap = snapshot.take(repo.root)
        if snap.files is None:  # unchanged files: the last result for them, if there is one
            cached = ParseCache(repo.root).result(snap.content_sha256)
            if cached is not None:
                return ValidationReport(
                    files=tuple(prefix + f for f in sorted(snap.file_sha256)),
                    problems=tuple(replace(p, file=prefix + p.file) for p in cached),
                )
        scan = snapshot.scan(repo.root, snap)
    files = dict(scan.files)
    refused = list(scan.refused)
    refused_paths = {r.path for r in refused}
    kinds: dict[str, str | None] = {}
    display: dict[str, str] = {}
    for given in paths:
        # The file itself is not resolved: a link is judged as a link, never read through.
        unresolved = (cwd or Path.cwd()) / given
        absolute = unresolved.parent.resolve() / unresolved.name
        try:
            rel: str | None = absolute.relative_to(repo.root).as_posix()
        except ValueError:
            rel = None
        if rel is not None and (rel in files or rel in refused_paths):
            display[rel] = prefix + rel
            continue
        try:
            raw = _read_named(absolute, repo.root, limit)
        except FileRefused as exc:
            virtual = rel or str(given)
            refused.append(Refusal(virtual, str(exc)))
            display[virtual] = str(given)
            continue
        kind, virtual = _place(absolute, raw)
        files[virtual] = raw
        kinds[virtual] = kind
        display[virtual] = str(given)
    if not display and not refused:
        result = load_cached(repo.root, files, need_documents=False)
    else:
        cache = ParseCache(repo.root)
        parsed = [
            parse_file(p, files[p], kinds[p]) if p in kinds else cache.parsed(p, files[p])
            for p in sorted(files)
        ]
        result = load_parsed(parsed, files, refused)
    if display and not whole:
        problems = tuple(replace(p, file=display[p.file]) for p in result.problems if p.file in display)
        checked = tuple(display[p] for p in sorted(display))
    else:
        problems = tuple(replace(p, file=display.get(p.file, prefix + p.file)) for p in result.problems)
        checked = tuple(display.get(f, prefix + f) for f in result.files)
    return ValidationReport(files=checked, problems=problems)


def merge(reports: Sequence[ValidationReport]) -> ValidationReport:
    """One report of several catalogs' (``validate PATH...`` over files of several catalogs)."""
    return ValidationReport(
        files=tuple(f for r in reports for f in r.files),
        problems=tuple(p for r in reports for p in r.problems),
    )


def group_by_catalog(
    paths: Sequence[Path], fallback: Callable[[], CatalogRepo], cwd: Path | None = None
) -> list[tuple[CatalogRepo, list[Path]]]:
    """The files of ``validate PATH...`` grouped by the catalog each lives in (the nearest folder
    above it that holds ``catalog/``); files in none go to ``fallback()`` (the catalog of the
    current directory), asked only if there are such files."""
    groups: dict[Path, tuple[CatalogRepo, list[Path]]] = {}
    for given in paths:
        absolute = (cwd or Path.cwd()) / given
        if not (absolute.is_file() or absolute.is_symlink()):
            raise BadUsage(f"{given} is not a file")
        repo = catalog_of_file(absolute) or fallback()
        groups.setdefault(repo.root, (repo, []))[1].append(given)
    return list(groups.values())
