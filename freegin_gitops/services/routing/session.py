"""A router wired to its catalog, the usage database and the environment, for one command."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from freegin_gitops.errors import UsageStoreError
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
    cannot be opened leaves the router without one, ``router.usage_warning`` saying why."""
    catalog = load_compiled(repo, ref)
    warning = None
    try:
        store = open_store(db_option, create=create_db)
    except UsageStoreError as exc:  # route and ask still work; the command says what is missing
        store, warning = None, str(exc)
    router = Router(catalog, environ=dict(os.environ), usage=store)
    router.usage_warning = warning
    try:
        yield router
    finally:
        router.close()
        if store is not None:
            store.close()
