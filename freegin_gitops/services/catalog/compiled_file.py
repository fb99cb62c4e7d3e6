"""``compile``: the compiled catalog of a repository, and whether a compiled file is stale."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freegin_gitops.adapters.catalog_dir import FileRefused, read_catalog_dir, read_regular
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.adapters.git.tree import head_state
from freegin_gitops.core.compiled_document import SourceInfo, comparable, compile_catalog, render
from freegin_gitops.services.catalog.loading import LoadResult, load_files
from freegin_gitops.services.catalog.parse_cache import load_cached
from freegin_gitops.services.catalog.repo import CatalogRepo


@dataclass(frozen=True, slots=True)
class Compiled:
    document: dict[str, Any]
    data: bytes


def compile_result(result: LoadResult, commit: str | None, dirty: bool | None) -> Compiled:
    catalog = result.require_catalog()
    document = compile_catalog(catalog, SourceInfo(result.content_sha256, commit, dirty))
    return Compiled(document, render(document))


def compile_repo(repo: CatalogRepo) -> Compiled:
    """Compile the working-tree catalog of ``repo``; :class:`CatalogInvalid` if it has problems."""
    result = load_cached(repo.root, read_catalog_dir(repo.root), need_documents=True)
    commit, dirty = head_state(repo.root) if repo.writable else (None, None)
    return compile_result(result, commit, dirty)


def kept_compiled(files: Mapping[str, bytes], kept: bytes | None, parent: str | None) -> bytes | None:
    """The compiled catalog to commit with an edit, when the repository keeps one.

    ``files`` is the whole catalog after the edit, ``kept`` the bytes of the kept compiled file
    now (None: the repository keeps none), ``parent`` the commit the edit is made on. Every path
    that commits catalog files (refresh, the ``--commit`` edits) calls this, so that
    ``compile --check`` stays green on what it commits. None when nothing is kept, or when the
    kept file is current already. The compiled document names ``parent`` with ``dirty: true``
    (the catalog differs from it), as ``compile`` run before committing would.
    """
    if kept is None:
        return None
    compiled = compile_result(load_files(files), parent, True)
    try:
        existing = json.loads(kept)
    except (ValueError, RecursionError):  # not JSON, or nested too deep: regenerated all the same
        existing = None
    if isinstance(existing, dict) and comparable(existing) == comparable(compiled.document):
        return None
    return compiled.data


def is_stale(path: Path, compiled: Compiled) -> str | None:
    """Why the compiled file at ``path`` does not match ``compiled``, or None if it does.

    ``source.commit`` and ``source.dirty`` are not compared: they change whenever the compiled
    file itself is committed.
    """
    if not os.path.lexists(path):
        return f"{path} does not exist"
    try:
        # A pull request may make it a link to /dev/zero, or nest it 100,000 deep.
        existing = json.loads(read_regular(path, current_limits().max_file_bytes))
    except FileRefused as exc:
        return f"{path} {exc}"
    except RecursionError:
        return f"{path} cannot be read as JSON (it is nested too deeply)"
    except ValueError as exc:
        return f"{path} cannot be read as JSON ({exc})"
    if not isinstance(existing, dict) or comparable(existing) != comparable(compiled.document):
        return f"{path} is stale: the catalog has changed since it was compiled"
    return None
