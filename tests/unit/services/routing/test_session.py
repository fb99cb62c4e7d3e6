"""``open_router``: a router over a real catalog repository, the usage database opened (or
created) as the command asks, both closed when the command is done."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.services.catalog.repo import resolve_repo
from freegin_gitops.services.routing.session import open_router
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("alpha", "http://alpha.test/v1", {"a1": ["chat"]}, "ALPHA_API_KEY")],
    )


def test_the_router_has_the_catalog_the_environment_and_a_new_database(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPHA_API_KEY", "sk-session-test")
    db = tmp_path / "usage.db"
    with open_router(resolve_repo(repo), None, db, create_db=True) as router:
        assert [e.candidate.model for e in router.plan("chat").entries] == ["a1"]
        assert router.environ["ALPHA_API_KEY"] == "sk-session-test"
        assert router.unreachable("alpha") is None
        store = router.usage
        assert isinstance(store, SqliteUsageStore) and store.path == db
        router.warm_up()
        client = router.client
    assert db.is_file()
    assert client is not None and client.is_closed
    with pytest.raises(sqlite3.ProgrammingError):  # the store is closed with the router
        store._db.execute("SELECT 1")


def test_a_command_that_records_nothing_creates_no_database(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    with open_router(resolve_repo(repo), None, db, create_db=False) as router:
        assert router.usage is None
        assert router.unreachable("alpha") == "no API key: ALPHA_API_KEY is not set"
    assert not db.exists()


def test_an_existing_database_is_used_even_when_not_created(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    SqliteUsageStore(db).close()
    with open_router(resolve_repo(repo), None, db, create_db=False) as router:
        assert isinstance(router.usage, SqliteUsageStore)
