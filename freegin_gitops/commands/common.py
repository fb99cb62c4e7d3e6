"""What several commands do the same way."""

from __future__ import annotations

from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import note
from freegin_gitops.services.catalog.repo import CatalogRepo, resolve_repo


def announce(repo: CatalogRepo) -> None:
    """Say on stderr when the catalog is the bundled starter catalog, so that a command run in the
    wrong folder does not quietly use another catalog."""
    remark = repo.fallback_note()
    if remark:
        note(f"freegin-ai: {remark}")


def catalog_repo(options: GlobalOptions) -> CatalogRepo:
    """The catalog repository of the command line (see :mod:`freegin_gitops.services.catalog.repo`)."""
    repo = resolve_repo(options.repo)
    announce(repo)
    if repo.writable:  # an edit a killed command left is finished or undone first
        from freegin_gitops.services.catalog.paths import edit_interrupted

        if edit_interrupted(repo.root):
            from freegin_gitops.services.edits.session import recover

            recovered = recover(repo)
            if recovered:
                note(f"freegin-ai: {recovered}")
    return repo
