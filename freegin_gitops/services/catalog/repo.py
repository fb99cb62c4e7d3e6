"""Which catalog a command works on: ``--repo``, ``FREEGIN_REPO``, the repository around the
current directory, or the starter catalog bundled with the package (read-only)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from freegin_gitops.adapters.git.tree import toplevel
from freegin_gitops.core.layout import CATALOG_DIR
from freegin_gitops.errors import BadUsage, CatalogReadOnly
from freegin_gitops.resources import bundled_root


class CatalogRepo(NamedTuple):
    root: Path
    origin: str
    writable: bool = True

    @property
    def catalog_dir(self) -> Path:
        return self.root / CATALOG_DIR

    @property
    def bundled(self) -> bool:
        return not self.writable

    def fallback_note(self) -> str | None:
        """A remark for commands that silently read the bundled catalog, so that a check run in
        the wrong folder does not pass without saying so."""
        if not self.bundled:
            return None
        return "using the bundled starter catalog (read-only): no --repo, FREEGIN_REPO or catalog/ here"

    def require_writable(self, action: str) -> None:
        if not self.writable:
            raise CatalogReadOnly(
                f"cannot {action}: the bundled starter catalog ({self.catalog_dir}) is read-only; "
                "point --repo or FREEGIN_REPO at a git repository with a catalog/ folder"
            )


def _explicit(path: Path, origin: str) -> CatalogRepo:
    root = path.expanduser().resolve()
    if not (root / CATALOG_DIR).is_dir():
        raise BadUsage(f"{origin} {path} has no {CATALOG_DIR}/ folder")
    return CatalogRepo(root, origin)


def resolve_repo(
    option: Path | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> CatalogRepo:
    """The catalog repository, by the spec's order of precedence."""
    environ = os.environ if environ is None else environ
    if option is not None:
        return _explicit(option, "--repo")
    if environ.get("FREEGIN_REPO"):
        return _explicit(Path(environ["FREEGIN_REPO"]), "FREEGIN_REPO")
    here = (cwd or Path.cwd()).resolve()
    top = toplevel(here)
    if top is not None and (top / CATALOG_DIR).is_dir():
        return CatalogRepo(top, "the current git repository")
    if top is None and (here / CATALOG_DIR).is_dir():
        return CatalogRepo(here, "the current directory")
    return CatalogRepo(bundled_root(), "the bundled starter catalog", writable=False)
