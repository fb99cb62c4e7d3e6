"""The PostgreSQL store's sessions: closing, its name, its bound on connections, and migrations
that wait for one another under the schema's advisory lock. Against the real server, each test
in a schema of its own."""

from __future__ import annotations

import contextlib
import threading
import time

import psycopg
import pytest

from freegin_gitops.adapters import usage_pg
from freegin_gitops.adapters.usage_pg import MAX_CONNECTIONS, PostgresUsageStore
from freegin_gitops.adapters.usage_pg_schema import MIGRATIONS
from freegin_gitops.errors import UsageStoreError

LOCK = "SELECT pg_advisory_xact_lock(hashtext('freegin-ai usage schema'), hashtext(current_schema()))"


def test_leaving_the_with_block_closes_the_store(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url) as store:
        assert store.count() == 0
    with pytest.raises(UsageStoreError) as caught:
        store.count()
    assert str(caught.value) == f"the usage database {postgres_url} was closed"


def test_the_store_is_named_by_its_url_without_the_password(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url + "&password=s3cret") as store:  # trust: not checked
        shown = repr(store)
    assert shown.startswith(f"PostgresUsageStore('{postgres_url.split('?')[0]}?") and shown.endswith("')")
    assert "s3cret" not in shown and "password=***" in shown


def test_a_blank_schema_opened_without_migrating_is_version_0(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        assert store.version == 0 and not store.initialised()


def test_at_most_max_connections_at_once_then_busy(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usage_pg, "CONNECT_TIMEOUT_S", 0.05)  # the wait for a free one: 0.1 s
    with PostgresUsageStore(postgres_url, migrate=False) as store, contextlib.ExitStack() as held:
        for _ in range(MAX_CONNECTIONS):
            held.enter_context(store._connection())
        with pytest.raises(UsageStoreError) as caught:
            held.enter_context(store._connection())
    assert MAX_CONNECTIONS == 8
    assert str(caught.value) == f"the usage database {postgres_url} is busy: no free connection"


def wait_for_a_waiting_lock(url: str) -> None:
    """Until some session waits for an advisory lock (at most 30 s)."""
    deadline = time.monotonic() + 30
    with psycopg.connect(url, autocommit=True) as db:
        while time.monotonic() < deadline:
            (waiting,) = db.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone() or (0,)
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("no migration waited for the schema's lock")


def migrate_in_a_thread(store: PostgresUsageStore) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            store.migrate()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


def test_a_migration_waits_for_the_schema_lock_another_holds(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store, psycopg.connect(postgres_url) as holder:
        holder.execute(LOCK)  # another process migrating this schema
        thread, failures = migrate_in_a_thread(store)
        wait_for_a_waiting_lock(postgres_url)
        assert store.version == 0  # nothing made while it waits
        holder.rollback()
        thread.join(timeout=60)
        assert failures == [] and store.version == len(MIGRATIONS)


def test_a_newer_version_made_while_waiting_for_the_lock_is_refused(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=1)
        with psycopg.connect(postgres_url) as holder:
            holder.execute(LOCK)
            thread, failures = migrate_in_a_thread(store)
            wait_for_a_waiting_lock(postgres_url)
            holder.execute("INSERT INTO freegin_migrations (version, name) VALUES (2, 'x'), (9, 'future')")
            holder.commit()
            thread.join(timeout=60)
    assert [str(f) for f in failures] == [
        f"the usage database {postgres_url} has schema version 9, newer than this freegin-ai knows "
        f"({len(MIGRATIONS)}); upgrade freegin-ai or use another --db"
    ]
