"""A router wired to its catalog, the usage database and the environment, for one command."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from freegin_gitops.services.catalog.compiled_store import load_compiled
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.routing.router import Router
from freegin_gitops.services.routing.usage_stats import DbOption, open_store


@contextlib.contextmanager
def open_router(
    repo: CatalogRepo, ref: str | None, db_option: DbOption, *, create_db: bool
) -> Iterator[Router]:
    """A :class:`Router` over ``repo`` (at ``ref``); the usage database is opened if it exists,
    or created when ``create_db`` (commands that call providers record usage). A database that
    cannot be opened is :class:`UsageStoreError` (nothing is called without somewhere to record
    it); one that fails once open only costs the record (``router.usage_warning``)."""
    catalog = load_compiled(repo, ref)
    store = open_store(db_option, create=create_db)
    router = Router(catalog, environ=dict(os.environ), usage=store)
    try:
        yield router
    finally:
        router.close()
        if store is not None:
            store.close()
