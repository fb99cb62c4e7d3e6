"""The PostgreSQL store's sessions: closing, its name, its bound on connections, and migrations
that wait for one another under the schema's advisory lock. Against the real server, each test
in a schema of its own."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from urllib.parse import quote

import psycopg
import pytest

from freegin_gitops.adapters import usage_pg
from freegin_gitops.adapters.usage_pg import MAX_CONNECTIONS, PostgresUsageStore
from freegin_gitops.adapters.usage_pg_schema import MIGRATIONS
from freegin_gitops.core.usage import UsageRecord
from freegin_gitops.errors import UsageStoreError
from tests.support.postgres import execute

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


def with_options(url: str, *options: str) -> str:
    """``url`` (of the test schema) with more server options after its search_path."""
    base, _, query = url.partition("?options=")
    return f"{base}?options={query}" + "".join(quote(f" -c{option}", safe="") for option in options)


def test_filling_the_figures_of_many_rows_is_not_cut_by_the_urls_statement_timeout(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=1)
    execute(  # 300,000 rows written by a version-1 freegin-ai: filling their figures takes a while
        postgres_url,
        """INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success, total_tokens)
           SELECT timestamptz '2026-11-25T10:00:00Z' + i * interval '1 second', 'p' || i % 40,
                  'm' || i % 7, 'chat', 50 + i % 5000, i % 13 <> 0, i % 900
           FROM generate_series(1, 300000) AS i""",
    )
    with PostgresUsageStore(with_options(postgres_url, "statement_timeout=100")) as store:
        assert store.version == len(MIGRATIONS)
        assert sum(s.calls for s in store.stats().values()) == 300_000


def test_an_up_to_date_schema_opens_for_a_role_that_cannot_create_in_it(postgres_url: str) -> None:
    role = f"freegin_reader_{uuid.uuid4().hex[:8]}"
    with PostgresUsageStore(postgres_url) as store:
        store.record([UsageRecord("p", "m", "chat", 100.0, True, ts="2026-11-25T10:00:00Z")])
    with psycopg.connect(postgres_url, autocommit=True) as db:
        (schema,) = db.execute("SELECT current_schema()").fetchone() or ("",)
        execute(
            postgres_url,
            f'CREATE ROLE "{role}" LOGIN',
            f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        )
    reader = postgres_url.replace("://", f"://{role}@", 1)
    try:
        with PostgresUsageStore(reader) as store:  # no CREATE: opening must not try to create
            assert store.stats()[("p", "m", "chat")].calls == 1
    finally:
        execute(postgres_url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')
