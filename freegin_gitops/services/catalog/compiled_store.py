"""Loading the compiled catalog for the router: a cached routing view keyed by the catalog's
content hash, else the repository's compiled file when it is current, else a fresh compilation.
Only the last path parses YAML, so routing starts fast whatever the catalog's size.

The cache holds a *routing view*: the compiled document without the models' hints (the router
does not use them; a deprecated model keeps its date, reason and successor, which ``route``
shows), written without indentation. For the 5,276-model models.dev catalog that is
0.8 MB instead of 3.7 MB, and loading it takes a third of the time.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from freegin_gitops.adapters.catalog_dir import FileRefused, read_catalog_dir, read_regular
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core.compiled_catalog import CompiledCatalog
from freegin_gitops.core.content import content_sha256
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo

COMPILED_IN_REPO = COMPILED_FILE
KEEP_CACHED = 32


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(read_regular(path, current_limits().max_file_bytes))
    except (FileRefused, ValueError, RecursionError):  # missing, a link, a FIFO, not JSON: not trusted
        return None
    return document if isinstance(document, dict) else None


_SECTIONS = ("routing", "refresh", "workloads", "providers", "candidates")


def _current(document: dict[str, Any] | None, sha: str) -> bool:
    """True if ``document`` is a compiled catalog (in outline) of the content ``sha``."""
    if document is None or document.get("schema_version") != 1:
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
    return cache_dir() / "compiled" / f"{sha}.json"


def routing_view(document: dict[str, Any]) -> dict[str, Any]:
    """The compiled document without the models' hints."""
    candidates = {
        workload: {
            **lists,
            "active": [{"provider": c["provider"], "model": c["model"]} for c in lists["active"]],
            "deprecated": [{k: v for k, v in c.items() if k != "hints"} for c in lists.get("deprecated", ())],
        }
        for workload, lists in document["candidates"].items()
    }
    return {**document, "candidates": candidates}


def _store(sha: str, document: dict[str, Any]) -> None:
    """Cache a routing view; a cache that cannot be written is only slower, never an error."""
    from freegin_gitops.adapters.files import atomic_write
    from freegin_gitops.errors import FileError

    path = _cache_path(sha)
    data = json.dumps(routing_view(document), ensure_ascii=False, separators=(",", ":")).encode()
    with contextlib.suppress(FileError, OSError):
        atomic_write(path, data)
        cached = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in cached[KEEP_CACHED:]:
            old.unlink(missing_ok=True)


def load_compiled(repo: CatalogRepo, ref: str | None = None) -> CompiledCatalog:
    """The compiled catalog of ``repo``'s working tree, or of the commit ``ref`` names."""
    commit: str | None = None
    if ref is not None:
        from freegin_gitops.adapters.git.tree import read_catalog_at

        commit, files = read_catalog_at(repo.root, ref, repo.git_prefix())
    else:
        files = read_catalog_dir(repo.root)
    sha = content_sha256(files)
    document = _read_json(_cache_path(sha))
    if _current(document, sha):
        assert document is not None
        return CompiledCatalog(document, pinned_commit=commit)
    if ref is None:
        in_repo = repo.root / COMPILED_IN_REPO
        document = _read_json(in_repo)
        if document is not None and _current(document, sha) and _valid(document, in_repo):
            _store(sha, document)
            return CompiledCatalog(document)
    from freegin_gitops.services.catalog.compiled_file import compile_result
    from freegin_gitops.services.catalog.loading import load_files

    compiled = compile_result(load_files(files), commit, False if commit else None)
    _store(sha, compiled.document)
    return CompiledCatalog(compiled.document, pinned_commit=commit)
