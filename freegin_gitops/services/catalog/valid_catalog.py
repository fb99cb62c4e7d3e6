"""A valid catalog read one file at a time, for commands that show part of it (``list-models``).

When the catalog is unchanged since it was last validated (:mod:`snapshot`, the parse cache's
result), nothing is parsed: the files asked for come from their parse-cache entries, so listing
one provider of 50,000 models reads that provider's entry and no other, and listing all of them
holds one provider at a time. Otherwise the catalog is loaded and checked as a whole first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from freegin_gitops.core.build import provider_from, suggestion_from, workloads_from
from freegin_gitops.core.catalog import Provider, Suggestion, Workload
from freegin_gitops.core.layout import PROVIDERS_DIR, WORKLOADS_FILE, provider_file, suggestions_file
from freegin_gitops.core.rules import stem
from freegin_gitops.errors import CatalogInvalid, FileError
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.parse_cache import ParseCache, load_cached


class ValidCatalog:
    """The providers and workloads of a catalog that has no problems."""

    def __init__(self, paths: list[str], document: Callable[[str], Any]) -> None:
        self._paths = set(paths)
        self._document = document
        self.provider_ids = sorted(stem(p) for p in paths if p.startswith(PROVIDERS_DIR + "/"))
        self.workloads: Mapping[str, Workload] = workloads_from(document(WORKLOADS_FILE))

    def provider(self, provider_id: str) -> tuple[Provider, tuple[Suggestion, ...]]:
        """One provider and its suggestions."""
        prov = provider_from(self._document(provider_file(provider_id)))
        path = suggestions_file(provider_id)
        if path not in self._paths:
            return prov, ()
        return prov, tuple(suggestion_from(provider_id, s) for s in self._document(path)["suggestions"])


def _from_cache(root: Path, snap: snapshot.Snapshot) -> ValidCatalog | None:
    cache = ParseCache(root)
    problems = cache.result(snap.content_sha256)
    if problems is None:
        return None
    if problems:
        raise CatalogInvalid(problems)

    def document(path: str) -> Any:
        sha = snap.file_sha256[path]
        entry = cache.entry(path, sha)
        if entry is None:  # an entry gone from the cache: parse that file again
            try:
                raw = (root / path).read_bytes()
            except OSError as exc:
                raise FileError(f"{path} cannot be read: {exc.strerror}") from exc
            if hashlib.sha256(raw).hexdigest() != sha:
                raise FileError(f"{path} changed while the catalog was read; run the command again")
            entry = cache.parsed(path, raw)
        if not entry.ok:
            raise CatalogInvalid(entry.problems)
        return entry.data

    return ValidCatalog(sorted(snap.file_sha256), document)


def open_valid_catalog(root: Path) -> ValidCatalog:
    """The catalog of ``root``; :class:`CatalogInvalid` naming its problems if it has any."""
    snap = snapshot.take(root)
    found = _from_cache(root, snap) if snap.files is None else None
    if found is not None:
        return found
    result = load_cached(root, snapshot.read_files(root, snap), need_documents=True)
    result.require_catalog()  # raises when there are problems
    documents = result.documents
    return ValidCatalog(sorted(documents), documents.__getitem__)
