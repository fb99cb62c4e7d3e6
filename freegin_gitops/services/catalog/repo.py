"""Which catalog a command works on.

``--repo`` or ``FREEGIN_REPO`` when given; else the catalog is found, never guessed: the nearest
folder at or above the current directory that holds ``catalog/``, not looking past the root of the
git repository around it. Inside a git repository where none is found the command fails, naming
where it looked: validation must never pass by checking a catalog other than the user's. Only
outside any git repository does a command fall back to the starter catalog bundled with the package
(read-only, with a remark on stderr). ``validate PATH...`` checks each file against the catalog it
lives in (:func:`catalog_of_file`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from freegin_gitops.adapters.git.tree import toplevel
from freegin_gitops.core.layout import CATALOG_DIR
from freegin_gitops.errors import BadUsage, CatalogNotFound, CatalogReadOnly
from freegin_gitops.resources import bundled_root

BUNDLED_NOTE = "using the bundled starter catalog (read-only): no --repo, FREEGIN_REPO or catalog/ here"


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

    def git_prefix(self) -> str:
        """Where the catalog folder sits in its git repository: ``""`` at the root, else a
        POSIX path ending in ``/`` (``infra/ai/``). ``""`` outside git and for the bundled
        catalog."""
        if self.bundled:
            return ""
        top = toplevel(self.root)
        if top is None or top == self.root:
            return ""
        return self.root.relative_to(top).as_posix() + "/"

    def fallback_note(self) -> str | None:
        """A remark for commands that read the bundled catalog, so that a command run outside the
        user's repository does not pass without saying so."""
        return BUNDLED_NOTE if self.bundled else None

    def require_writable(self, action: str) -> None:
        if not self.writable:
            raise CatalogReadOnly(
                f"cannot {action}: the bundled starter catalog ({self.catalog_dir}) is read-only; "
                "point --repo or FREEGIN_REPO at a git repository with a catalog/ folder, or start "
                "one with freegin-ai init"
            )


def _explicit(path: Path, origin: str) -> CatalogRepo:
    root = path.expanduser().resolve()
    if not (root / CATALOG_DIR).is_dir():
        raise BadUsage(f"{origin} {path} has no {CATALOG_DIR}/ folder")
    return CatalogRepo(root, origin)


def nearest_catalog_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``catalog/``, not looking past the root
    of the git repository around ``start`` (outside git: up to the file system's root)."""
    for folder in (start, *start.parents):
        if (folder / CATALOG_DIR).is_dir():
            return folder
        if (folder / ".git").exists():
            return None
    return None


def explicit_repo(option: Path | None, environ: Mapping[str, str] | None = None) -> CatalogRepo | None:
    """The catalog named by ``--repo`` or ``FREEGIN_REPO``, or None when neither is given."""
    environ = os.environ if environ is None else environ
    if option is not None:
        return _explicit(option, "--repo")
    if environ.get("FREEGIN_REPO"):
        return _explicit(Path(environ["FREEGIN_REPO"]), "FREEGIN_REPO")
    return None


def resolve_repo(
    option: Path | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> CatalogRepo:
    """The catalog repository, by the spec's order of precedence; :class:`CatalogNotFound` inside
    a git repository that holds no catalog where the search looked."""
    named = explicit_repo(option, environ)
    if named is not None:
        return named
    here = (cwd or Path.cwd()).resolve()
    found = nearest_catalog_root(here)
    if found is not None:
        return CatalogRepo(found, "the folder found from the current directory")
    top = toplevel(here)
    if top is not None:
        where = f"in {here}" if here == top else f"in {here} or any folder above it up to {top}"
        raise CatalogNotFound(
            f"no {CATALOG_DIR}/ folder {where} (the root of this git repository): nothing to work "
            "on; start one with freegin-ai init, or name it with --repo PATH or FREEGIN_REPO"
        )
    return CatalogRepo(bundled_root(), "the bundled starter catalog", writable=False)


def catalog_of_file(path: Path) -> CatalogRepo | None:
    """The catalog an existing file lives in: the nearest folder above it that holds ``catalog/``
    (within its git repository), or None when there is none."""
    found = nearest_catalog_root(path.absolute().parent.resolve())  # the file's folder, not a link's target
    return None if found is None else CatalogRepo(found, f"the catalog around {path}")
