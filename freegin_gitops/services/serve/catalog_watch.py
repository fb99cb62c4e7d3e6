"""Where the gateway's catalog comes from, and noticing that it moved.

A cheap *signature* says whether to reload: with ``--ref``, the commit the ref names; otherwise
the size, modification time and inode of every catalog file and of ``compiled/catalog.json``. A
reload loads exactly as ``ask`` does (:func:`load_compiled`); one that fails (a catalog that does
not validate, a ref that names nothing) keeps the old catalog, and says why once per change.
"""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.adapters.catalog_dir import catalog_paths
from freegin_gitops.core.compiled_catalog import CompiledCatalog
from freegin_gitops.services.catalog.compiled_store import COMPILED_IN_REPO, load_compiled
from freegin_gitops.services.catalog.repo import CatalogRepo

Signature = tuple[object, ...]


class CatalogSource:
    """The catalog of ``repo``'s working tree, or at ``ref``."""

    def __init__(self, repo: CatalogRepo, ref: str | None) -> None:
        self.repo = repo
        self.ref = ref

    def signature(self) -> Signature:
        """What changes when the catalog may have changed (raises FreeginError for a bad ref)."""
        if self.ref is not None:
            from freegin_gitops.adapters.git.tree import resolve_commit

            return ("ref", resolve_commit(self.repo.root, self.ref))
        if self.repo.bundled:
            return ("bundled",)
        paths = [*catalog_paths(self.repo.root), COMPILED_IN_REPO]
        stamps: list[object] = []
        for rel in paths:
            try:
                st = Path(self.repo.root, rel).stat()
            except OSError:
                stamps.append((rel, None))
            else:
                stamps.append((rel, st.st_size, st.st_mtime_ns, st.st_ino))
        return ("tree", *stamps)

    def load(self) -> CompiledCatalog:
        return load_compiled(self.repo, self.ref)

    def describe(self, catalog: CompiledCatalog) -> str:
        sha = catalog.content_sha256[:12]
        if self.ref is not None:
            commit = (catalog.pinned_commit or "")[:12]
            return f"catalog {sha} at {self.ref} ({commit}) of {self.repo.root}"
        if self.repo.bundled:
            return f"catalog {sha} (the bundled starter catalog)"
        return f"catalog {sha} from {self.repo.root}"
