"""Loading the compiled catalog for the router: a cached routing view keyed by the catalog's
content hash, else the repository's compiled file when it is current, else a fresh compilation.
Only the last path parses YAML, so routing starts fast whatever the catalog's size.

The cache holds a *routing view*: the compiled document without the models' hints (the router
does not use them), each candidate list written as runs of one provider's models
(``[["groq", ["llama-3.3-70b-versatile", ...]], ...]``), without indentation. For 52,760 models
that is 1.7 MB instead of 38 MB; it loads in a few milliseconds, and candidates are made only as
far as a plan reaches (:class:`CandidateList`). The working tree's content hash comes from
:mod:`snapshot`, so an unchanged catalog is not read at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.adapters import cache_file
from freegin_gitops.core import json_text
from freegin_gitops.core.compiled_catalog import CompiledCatalog, runs_of
from freegin_gitops.core.content import content_sha256
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo

COMPILED_IN_REPO = "compiled/catalog.json"
KEEP_CACHED = 32
VIEW_FORMAT = 2

_SECTIONS = ("routing", "refresh", "workloads", "providers", "candidates")


def _current(document: Any, sha: str) -> bool:
    """True if ``document`` is a compiled catalog (in outline) of the content ``sha``."""
    if not isinstance(document, dict) or document.get("schema_version") != 1:
        return False
    source = document.get("source")
    return (
        isinstance(source, dict)
        and source.get("content_sha256") == sha
        and all(isinstance(document.get(key), dict) for key in _SECTIONS)
    )


def _valid(document: dict[str, Any], path: Path) -> bool:
    """A compiled file someone keeps in the repository is checked against its schema before the
    router trusts it (once: what it reads then is cached)."""
    from freegin_gitops.adapters import schema_check

    return not schema_check.check("compiled", document, str(path))


def _cache_path(sha: str) -> Path:
    key = hashlib.sha256(f"{VIEW_FORMAT} {__version__} {sha}".encode()).hexdigest()[:40]
    return cache_dir() / "routing" / f"{key}.json"


def routing_view(document: dict[str, Any]) -> dict[str, Any]:
    """The compiled document without the models' hints, its candidate lists as runs."""
    candidates = {
        workload: {which: runs_of(entries) for which, entries in lists.items()}
        for workload, lists in document["candidates"].items()
    }
    return {**document, "candidates": candidates}


def _runs_shape(candidates: Any) -> bool:
    """Whether a view's candidate lists have the shape of runs (a cheap look at each run)."""
    if not isinstance(candidates, dict):
        return False
    for lists in candidates.values():
        if not isinstance(lists, dict) or not all(
            isinstance(lists.get(w), list) for w in ("active", "pending", "defaults")
        ):
            return False
        for runs in lists.values():
            for run in runs:
                if not (
                    isinstance(run, list)
                    and len(run) == 2
                    and isinstance(run[0], str)
                    and isinstance(run[1], list)
                ):
                    return False
    return True


def _read_view(sha: str, commit: str | None) -> CompiledCatalog | None:
    payload = cache_file.read(_cache_path(sha))
    if payload is None:
        return None
    try:
        view = json_text.loads(payload)
    except ValueError:
        return None
    if not _current(view, sha) or not _runs_shape(view["candidates"]):
        return None
    return CompiledCatalog(view, pinned_commit=commit, runs=view["candidates"])


def _store(sha: str, document: dict[str, Any]) -> None:
    """Cache a routing view; a cache that cannot be written is only slower, never an error."""
    path = _cache_path(sha)
    if not cache_file.write(path, json_text.compact(routing_view(document))):
        return
    try:
        cached = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in cached[KEEP_CACHED:]:
        cache_file.remove(old)


def load_compiled(repo: CatalogRepo, ref: str | None = None) -> CompiledCatalog:
    """The compiled catalog of ``repo``'s working tree, or of the commit ``ref`` names."""
    commit: str | None = None
    if ref is not None:
        from freegin_gitops.adapters.git.tree import read_catalog_at

        commit, files = read_catalog_at(repo.root, ref)
        sha = content_sha256(files)
    else:
        snap = snapshot.take(repo.root)
        sha = snap.content_sha256
        found = _read_view(sha, None)
        if found is not None:
            return found
        files = snapshot.read_files(repo.root, snap)
        sha = content_sha256(files) if snap.files is None else sha
    found = _read_view(sha, commit)
    if found is not None:
        return found
    if ref is None:
        in_repo = repo.root / COMPILED_IN_REPO
        try:
            kept = json_text.loads(in_repo.read_bytes())
        except (OSError, ValueError):
            kept = None
        if _current(kept, sha) and _valid(kept, in_repo):
            _store(sha, kept)
            return CompiledCatalog(kept)
    from freegin_gitops.services.catalog.compiled_file import compile_result
    from freegin_gitops.services.catalog.loading import load_files

    compiled = compile_result(load_files(files), commit, False if commit else None)
    _store(sha, compiled.document)
    return CompiledCatalog(compiled.document, pinned_commit=commit)
