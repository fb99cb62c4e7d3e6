"""``validate``: check the whole catalog, or only the files named, in the catalog's context."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.layout import CONFIG_FILE, WORKLOADS_FILE, provider_file, suggestions_file
from freegin_gitops.core.problems import Problem
from freegin_gitops.core.rules import PROVIDER_ID
from freegin_gitops.errors import BadUsage
from freegin_gitops.services.catalog_loader import LoadResult, load_parsed, parse_file
from freegin_gitops.services.parse_cache import ParseCache, load_cached
from freegin_gitops.services.repo import CatalogRepo

_SCHEMA_NAME = re.compile(r"\$schema=\S*?(provider|suggestions|workloads|config)\.schema\.json")


@dataclass(frozen=True, slots=True)
class ValidationReport:
    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    result: LoadResult

    @property
    def ok(self) -> bool:
        return not self.problems


def _sniff_kind(path: Path, raw: bytes) -> str:
    """The kind of a file outside the catalog layout: by its folder or name, its schema line, or
    its top-level keys."""
    if path.parent.name in ("providers", "suggestions"):
        return "provider" if path.parent.name == "providers" else "suggestions"
    if path.name in ("workloads.yaml", "config.yaml"):
        return path.name.removesuffix(".yaml")
    head = raw[:300].decode("utf-8", "replace")
    match = _SCHEMA_NAME.search(head)
    if match:
        return match.group(1)
    from freegin_gitops.adapters import yaml_read

    try:
        data = yaml_read.parse_bytes(raw)
    except yaml_read.YamlProblem:
        return "provider"
    keys = set(data) if isinstance(data, dict) else set()
    if "suggestions" in keys:
        return "suggestions"
    if "workloads" in keys and "provider" not in keys:
        return "workloads"
    if keys & {"refresh", "routing", "defaults"}:
        return "config"
    return "provider"


def _virtual_path(kind: str, path: Path, raw: bytes) -> str:
    """Where a file from outside the catalog would live in it."""
    if kind == "workloads":
        return WORKLOADS_FILE
    if kind == "config":
        return CONFIG_FILE
    if kind == "suggestions":
        return suggestions_file(path.stem)
    from freegin_gitops.adapters import yaml_read

    try:
        data = yaml_read.parse_bytes(raw)
        named = data.get("provider") if isinstance(data, dict) else None
    except yaml_read.YamlProblem:
        named = None
    if isinstance(named, str) and PROVIDER_ID.match(named):
        return provider_file(named)
    return provider_file(path.stem)


def validate(repo: CatalogRepo, paths: Sequence[Path] = (), cwd: Path | None = None) -> ValidationReport:
    """Validate the catalog of ``repo``; with ``paths``, report only those files' problems."""
    files = read_catalog_dir(repo.root)
    kinds: dict[str, str | None] = {}
    display: dict[str, str] = {}
    for given in paths:
        absolute = (cwd or Path.cwd()) / given
        if not absolute.is_file():
            raise BadUsage(f"{given} is not a file")
        absolute = absolute.resolve()
        try:
            rel = absolute.relative_to(repo.root).as_posix()
        except ValueError:
            rel = None
        if rel is not None and rel in files:
            display[rel] = rel
            continue
        raw = absolute.read_bytes()
        kind = _sniff_kind(absolute, raw)
        virtual = _virtual_path(kind, absolute, raw)
        files[virtual] = raw
        kinds[virtual] = kind
        display[virtual] = str(given)
    if not display:
        result = load_cached(repo.root, files, need_documents=False)
    else:
        cache = ParseCache(repo.root)
        parsed = [
            parse_file(p, files[p], kinds[p]) if p in kinds else cache.parsed(p, files[p])
            for p in sorted(files)
        ]
        result = load_parsed(parsed, files)
    problems = result.problems
    if display:
        problems = tuple(replace(p, file=display[p.file]) for p in problems if p.file in display)
        checked = tuple(display[p] for p in sorted(display))
    else:
        checked = result.files
    return ValidationReport(files=checked, problems=problems, result=result)
