"""What several commands do the same way."""

from __future__ import annotations

from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import note
from freegin_gitops.services.catalog.repo import CatalogRepo, resolve_repo


def catalog_repo(options: GlobalOptions) -> CatalogRepo:
    """The catalog repository; says so on stderr when it is the bundled starter catalog, so that a
    command run in the wrong folder does not quietly use another catalog."""
    repo = resolve_repo(options.repo)
    remark = repo.fallback_note()
    if remark:
        note(f"freegin-ai: {remark}")
    return repo
