"""Loading the compiled catalog for the router: the repository's compiled file when it is current,
else a cached compilation keyed by the catalog's content hash, else a fresh compilation (which is
then cached). Only the last path parses YAML, so routing starts fast whatever the catalog's size.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.compiled import CompiledCatalog
from freegin_gitops.core.content import content_sha256
from freegin_gitops.services.paths import cache_dir
from freegin_gitops.services.repo import CatalogRepo

COMPILED_IN_REPO = "compiled/catalog.json"
KEEP_CACHED = 32


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _current(document: dict[str, Any] | None, sha: str) -> bool:
    if document is None or document.get("schema_version") != 1:
        return False
    source = document.get("source")
    return isinstance(source, dict) and source.get("content_sha256") == sha


def _cache_path(sha: str) -> Path:
    return cache_dir() / "compiled" / f"{sha}.json"


def _store(sha: str, data: bytes) -> None:
    """Cache a compilation; a cache that cannot be written is only slower, never an error."""
    from freegin_gitops.adapters.files import atomic_write
    from freegin_gitops.errors import FreeginError

    path = _cache_path(sha)
    with contextlib.suppress(FreeginError, OSError):
        atomic_write(path, data)
        cached = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in cached[KEEP_CACHED:]:
            old.unlink(missing_ok=True)


def load_compiled(repo: CatalogRepo, ref: str | None = None) -> CompiledCatalog:
    """The compiled catalog of ``repo``'s working tree, or of the commit ``ref`` names."""
    commit: str | None = None
    if ref is not None:
        from freegin_gitops.adapters.git_tree import read_catalog_at

        commit, files = read_catalog_at(repo.root, ref)
    else:
        files = read_catalog_dir(repo.root)
    sha = content_sha256(files)
    if ref is None:
        document = _read_json(repo.root / COMPILED_IN_REPO)
        if _current(document, sha):
            assert document is not None
            return CompiledCatalog(document)
    document = _read_json(_cache_path(sha))
    if _current(document, sha):
        assert document is not None
        return CompiledCatalog(document, pinned_commit=commit)
    from freegin_gitops.services.catalog_loader import load_files
    from freegin_gitops.services.compiling import compile_result

    compiled = compile_result(load_files(files), commit, False if commit else None)
    _store(sha, compiled.data)
    return CompiledCatalog(compiled.document, pinned_commit=commit)
