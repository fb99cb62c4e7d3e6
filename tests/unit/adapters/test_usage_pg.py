"""The PostgreSQL usage store's own parts: migrations in their table, the statement trigger's
figures, deadlines and reconnection, and a password that never shows. Against the real server,
each test in a schema of its own (tests/support/postgres.py)."""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from freegin_gitops.adapters import usage_pg_schema, usage_schema
from freegin_gitops.adapters.usage_pg import PostgresUsageStore
from freegin_gitops.core.usage import RateLimitValue, UsageRecord, WindowQuery, iso_utc
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.routing.usage_stats import open_store
from tests.support.postgres import execute, in_schema

T0 = 1_795_600_800.0  # 2026-11-25T10:00:00Z


def rec(latency: float = 100.0, *, key=("p", "m", "chat"), seconds: float = 0.0, **kw: object) -> UsageRecord:
    return UsageRecord(
        *key, latency_ms=latency, success=kw.pop("success", True), ts=iso_utc(T0 + seconds), **kw
    )


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(sql).fetchall()


def test_a_blank_schema_gets_every_table_and_records_its_migrations(postgres_url: str):
    with PostgresUsageStore(postgres_url) as store:
        assert store.version == len(usage_pg_schema.MIGRATIONS) == 5
    tables = {
        r[0]
        for r in rows(postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    }
    assert tables == {
        "freegin_migrations",
        "provider_usage",
        "cooldown",
        "rate_limit_seen",
        "usage_rollup",
        "usage_minute",
    }
    assert rows(postgres_url, "SELECT version, name FROM freegin_migrations ORDER BY version") == [
        (1, "v1_tables"),
        (2, "v2_figures"),
        (3, "v3_histogram_in_the_rollup"),
        (4, "v4_room_for_updates"),
        (5, "v5_histogram_as_sent"),
    ]
    columns = rows(
        postgres_url,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'provider_usage' ORDER BY ordinal_position",
    )
    assert [c[0] for c in columns] == [
        "id",
        "ts",
        "provider",
        "model",
        "workload",
        "latency_ms",
        "success",
        "error_kind",
        "status_code",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
    ]


def test_opening_again_changes_nothing(postgres_url: str):
    with PostgresUsageStore(postgres_url) as store:
        store.record([rec()])
    with PostgresUsageStore(postgres_url) as store:
        assert store.version == 5 and store.count() == 1
    assert len(rows(postgres_url, "SELECT * FROM freegin_migrations")) == 5


def test_upgrade_from_the_first_schema_fills_the_figures_from_its_rows(postgres_url: str):
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=1)
        assert store.version == 1
    execute(  # rows written by a version-1 freegin-ai
        postgres_url,
        """INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success, error_kind,
               total_tokens) VALUES
           ('2026-11-25T10:00:00Z', 'p', 'm', 'chat', 100, true, NULL, 10),
           ('2026-11-25T10:00:30Z', 'p', 'm', 'chat', 300, true, NULL, 5),
           ('2026-11-25T10:01:10Z', 'p', 'm', 'chat', 50, false, 'connect', NULL),
           ('2026-11-25T10:01:20Z', 'p', 'n', 'code', 70, false, 'timeout', NULL)""",
    )
    with PostgresUsageStore(postgres_url) as store:
        assert store.version == 5
        stats = store.stats()
        model, provider = store.count_windows([WindowQuery("p", "m", T0), WindowQuery("p", None, T0)])
        store.record([rec(seconds=61)])
        (after,) = store.count_windows([WindowQuery("p", None, T0)])
    m = stats[("p", "m", "chat")]
    assert (m.calls, m.successes, m.mean_latency_ms, m.last_used) == (3, 2, 200.0, "2026-11-25T10:01:10.000Z")
    assert stats[("p", "n", "code")].calls == 1
    assert (model.requests, model.tokens, provider.requests) == (
        2,
        15,
        3,
    )  # the connect failure never reached p
    assert after.requests == 4


def test_upgrade_from_latency_rows_to_the_histogram_in_the_rollup_keeps_the_p95(postgres_url: str):
    latencies = [10.0] * 18 + [500.0, 2000.0] + [7.0] * 3
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=2)
        store.record([rec(v, key=("p", "m", "chat")) for v in latencies])
        store.record([rec(v, key=("p", "n", "code"), success=False) for v in latencies])
        (count,) = rows(postgres_url, "SELECT count(*) FROM usage_latency")[0]
        assert count == 4  # the buckets of 7, 10, 500 and 2000 ms
        store.migrate()
        stats = store.stats()
        store.record([rec(3000.0)])  # the new trigger adds to the histogram
        after = store.stats()[("p", "m", "chat")]
    assert stats[("p", "m", "chat")].p95_latency_ms == usage_schema.bucket_upper_ms(
        usage_schema.latency_bucket(500)
    )
    assert stats[("p", "n", "code")].p95_latency_ms is None
    assert after.calls == 24 and after.p95_latency_ms == usage_schema.bucket_upper_ms(
        usage_schema.latency_bucket(2000)
    )
    assert rows(postgres_url, "SELECT to_regclass('usage_latency')") == [(None,)]


def test_a_newer_database_is_refused_in_one_sentence(postgres_url: str):
    with PostgresUsageStore(postgres_url):
        pass
    execute(postgres_url, "INSERT INTO freegin_migrations (version, name) VALUES (9, 'from the future')")
    with pytest.raises(UsageStoreError) as caught:
        open_store(postgres_url)
    assert str(caught.value) == (
        f"the usage database {postgres_url} has schema version 9, newer than this freegin-ai knows (5); "
        "upgrade freegin-ai or use another --db"
    )


def _open_and_record(url: str) -> None:
    store = open_store(url)
    assert store is not None
    store.record([rec()])
    store.close()


def test_many_processes_creating_the_tables_at_once_create_them_once(postgres_url: str):
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_open_and_record, args=(postgres_url,)) for _ in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    assert rows(postgres_url, "SELECT count(*) FROM freegin_migrations") == [(5,)]
    assert rows(postgres_url, "SELECT calls FROM usage_rollup") == [(4,)]


def test_a_schema_without_tables_is_not_created_by_a_reading_command(postgres_url: str):
    assert open_store(postgres_url, create=False) is None
    assert rows(postgres_url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == [(0,)]
    store = open_store(postgres_url, create=True)
    assert store is not None
    store.close()
    reopened = open_store(postgres_url, create=False)
    assert reopened is not None
    reopened.close()


def test_the_trigger_fills_the_histogram_bucket_by_bucket(postgres_url: str):
    values = [0.2, 1, 1.04, 1.06, 99.9, 100, 12345.6, 10**9]
    with PostgresUsageStore(postgres_url) as store:
        store.record([rec(v) for v in values])
        store.record([rec(500, success=False, error_kind="timeout")])
    (histogram,) = rows(postgres_url, "SELECT latency_hist FROM usage_rollup")[0]
    expected = [0] * usage_schema.BUCKETS
    for v in values:
        expected[usage_schema.latency_bucket(v)] += 1
    assert histogram == expected
    assert usage_schema.latency_bucket(10**9) == usage_schema.BUCKETS - 1


def test_rows_inserted_by_anyone_keep_the_figures(postgres_url: str):
    """The trigger finds its tables whatever the search_path of whoever inserts."""
    with PostgresUsageStore(postgres_url):
        pass
    (schema,) = rows(postgres_url, "SELECT current_schema()")[0]
    plain = postgres_url.split("?", 1)[0]
    execute(
        plain,
        f"""INSERT INTO "{schema}".provider_usage (ts, provider, model, workload, latency_ms, success)
            VALUES (now(), 'p', 'm', 'chat', 5, true), (now(), 'p', 'm', 'chat', 7, true)""",
    )
    with PostgresUsageStore(postgres_url) as store:
        assert store.stats()[("p", "m", "chat")].calls == 2
        assert store.count_windows([WindowQuery("p", None, 0.0)])[0].requests == 2


def test_the_same_rate_limit_header_twice_in_one_batch_keeps_the_later(postgres_url: str):
    from freegin_gitops.core.usage import RateLimitValue

    first = rec(seconds=1, rate_limits=(RateLimitValue("requests", 30, 5),))
    second = rec(seconds=2, rate_limits=(RateLimitValue("requests", 30, 4),))
    with PostgresUsageStore(postgres_url) as store:
        store.record([second, first])
        assert [r.value.remaining for r in store.rate_limits()] == [4]


def test_writers_crossing_each_others_figures_never_deadlock(postgres_url: str):
    """Batches touching the same figures in opposite orders, from many threads at once."""
    keys = [("p", m, w) for m in ("a", "b", "c") for w in ("chat", "code")]
    failures: list[BaseException] = []
    with PostgresUsageStore(postgres_url) as store:

        def write(reverse: bool) -> None:
            try:
                for i in range(15):
                    order = keys[::-1] if reverse else keys
                    store.record([rec(key=k, seconds=i * 61) for k in order])
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(n % 2 == 0,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert failures == []
        assert sum(s.calls for s in store.stats().values()) == 6 * 15 * len(keys)


def test_a_connection_the_server_dropped_is_replaced(postgres_url: str):
    name = f"freegin-test-{uuid.uuid4().hex[:8]}"  # this store's connections, no one else's
    with PostgresUsageStore(f"{postgres_url}&application_name={name}") as store:
        store.record([rec()])
        execute(
            postgres_url,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
        )
        with pytest.raises(UsageStoreError, match="could not record usage"):
            store.record([rec()])  # the dropped connection fails once, naming the database
        store.record([rec()])  # and a new one is made
        assert store.count() == 2


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_an_unreachable_server_is_one_sentence_without_the_password():
    port = closed_port()
    with pytest.raises(UsageStoreError) as caught:
        open_store(f"postgresql://ada:hunter2-secret@127.0.0.1:{port}/test")
    message = str(caught.value)
    assert message.startswith(
        f"the usage database postgresql://ada:***@127.0.0.1:{port}/test cannot be reached: "
    )
    assert "Connection refused" in message
    assert "hunter2" not in message and "\n" not in message


def test_a_server_that_never_answers_is_given_up_after_the_connect_deadline(silent_server: int):
    url = f"postgresql://127.0.0.1:{silent_server}/test?connect_timeout=2&password=pw-very-secret"
    with pytest.raises(UsageStoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "no answer within 2 s" in message
    assert "pw-very-secret" not in message and "password=***" in message


def test_a_url_the_driver_cannot_parse_is_refused_without_echoing_the_password():
    with pytest.raises(UsageStoreError) as caught:
        open_store("postgresql://ada:my secret pass@127.0.0.1:5432/test")
    message = str(caught.value)
    assert message.startswith("--db postgresql://ada:***@127.0.0.1:5432/test is not a valid PostgreSQL URL")
    assert "secret" not in message


def test_a_search_path_naming_no_schema_is_one_sentence(postgres_url: str):
    base = postgres_url.split("?", 1)[0]
    with pytest.raises(UsageStoreError, match="has no schema to create its tables in"):
        open_store(in_schema(base, "freegin_no_such_schema"))


def test_both_stores_give_the_same_figures_and_counts_for_the_same_rows(postgres_url: str, tmp_path):
    import random

    from freegin_gitops.adapters.usage_db import SqliteUsageStore

    rng = random.Random(16)
    records = [
        rec(
            rng.choice((0.5, 3.0, 40.0, 41.0, 250.0, 9999.0, rng.uniform(1, 20000))),
            key=(rng.choice("pq"), rng.choice("ab"), rng.choice(("chat", "code"))),
            seconds=rng.uniform(-90000, 3600),
            success=(ok := rng.random() < 0.8),
            error_kind=None if ok else rng.choice(("connect", "timeout")),
            total_tokens=rng.choice((None, rng.randint(0, 500))),
        )
        for _ in range(1500)
    ]
    queries = [
        WindowQuery(rng.choice("pq"), rng.choice(("a", "b", None)), T0 + rng.uniform(-90000, 3600))
        for _ in range(40)
    ]
    with PostgresUsageStore(postgres_url) as pg, SqliteUsageStore(tmp_path / "u.db") as lite:
        for start in range(0, len(records), 250):
            pg.record(records[start : start + 250])
            lite.record(records[start : start + 250])
        figures, expected = pg.stats(), lite.stats()
        assert figures.keys() == expected.keys()
        for key, found in figures.items():
            want = expected[key]
            assert (found.calls, found.successes, found.p95_latency_ms, found.last_used) == (
                want.calls,
                want.successes,
                want.p95_latency_ms,
                want.last_used,
            ), key
            assert found.mean_latency_ms == pytest.approx(want.mean_latency_ms, rel=1e-12), key  # sum order
        counted, exact = pg.count_windows(queries), lite.count_windows(queries)
    assert [(c.requests, c.tokens) for c in counted] == [(c.requests, c.tokens) for c in exact]
    for found, want in zip(counted, exact, strict=True):  # SQLite's oldest is exact, PostgreSQL's
        if want.oldest_epoch is None:  # no later than the end of its minute
            assert found.oldest_epoch is None
        else:
            assert found.oldest_epoch is not None
            assert want.oldest_epoch <= found.oldest_epoch <= (want.oldest_epoch // 60 + 1) * 60


def test_commits_do_not_wait_for_the_disk_unless_the_url_says_so(postgres_url: str):
    def setting(store: PostgresUsageStore) -> str:
        with store._connection() as db:
            return str(db.execute("SHOW synchronous_commit").fetchone()[0])

    with PostgresUsageStore(postgres_url) as store:
        assert setting(store) == "off"  # as SQLite's WAL with synchronous = NORMAL
    durable = postgres_url.replace("options=", "options=-csynchronous_commit%3Don%20")
    with PostgresUsageStore(durable) as store:
        assert setting(store) == "on"


def test_a_failed_insert_raises_and_keeps_nothing(postgres_url: str):
    """A row the server refuses is an error the caller hears of, never silence, and the batch
    it was in leaves nothing behind (rows, figures, rate-limit values: one transaction)."""
    with PostgresUsageStore(postgres_url) as store:
        store.record([rec()])
        execute(
            postgres_url,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF NEW.model = 'bad' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON provider_usage FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        limits = (RateLimitValue("requests", 10, 9),)
        batch = [rec(seconds=1, rate_limits=limits), rec(key=("p", "bad", "chat"), seconds=2)]
        with pytest.raises(UsageStoreError) as caught:
            store.record(batch)
        assert str(caught.value).startswith(f"the usage database {store.shown} could not record usage: ")
        assert "refused by the test" in str(caught.value)
        assert store.count() == 1 and store.stats()[("p", "m", "chat")].calls == 1
        assert store.rate_limits() == []


UPGRADE_ROWS = [  # (seconds, latency, success, error_kind, total tokens): a spread of latencies
    (0, 100.0, True, None, 10),
    (30, 300.0, True, None, 5),
    (70, 50.0, False, "connect", None),
    (80, 120.0, True, None, None),
    (3700, 2400.0, True, None, 7),
    (3710, 95.0, True, None, 1),
    (3720, 88.0, False, "timeout", None),
    (3730, 700.0, True, None, 2),
]


def figures(stats: dict) -> dict:
    return {
        k: (s.calls, s.successes, s.p95_latency_ms, s.last_used, round(s.mean_latency_ms, 9))
        for k, s in stats.items()
    }


@pytest.mark.parametrize("version", range(1, len(usage_pg_schema.MIGRATIONS)))
def test_an_upgraded_database_gives_the_figures_of_rows_recorded_now(
    postgres_url: str, tmp_path, version: int
):
    """Each migration fills the figures from the rows once (no call counted twice, the p95 from
    every successful call): the upgraded store answers as a store that recorded the rows now."""
    from freegin_gitops.adapters.usage_db import SqliteUsageStore

    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=version)
    execute(  # rows written by a freegin-ai of that version
        postgres_url,
        "INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success, error_kind, "
        "total_tokens) VALUES "
        + ", ".join(
            f"('{iso_utc(T0 + s)}', 'p', 'm', 'chat', {lat}, {str(ok).lower()}, "
            f"{'NULL' if kind is None else repr(kind)}, {'NULL' if tokens is None else tokens})"
            for s, lat, ok, kind, tokens in UPGRADE_ROWS
        ),
    )
    records = [
        rec(lat, seconds=s, success=ok, error_kind=kind, total_tokens=tokens)
        for s, lat, ok, kind, tokens in UPGRADE_ROWS
    ]
    queries = [
        WindowQuery("p", "m", T0 - 1),
        WindowQuery("p", None, T0 + 45),
        WindowQuery("p", "m", T0 + 3600),
    ]
    with PostgresUsageStore(postgres_url) as upgraded, SqliteUsageStore(tmp_path / "fresh.db") as fresh:
        fresh.record(records)
        assert upgraded.version == len(usage_pg_schema.MIGRATIONS)
        got = upgraded.stats()[("p", "m", "chat")]
        assert (got.calls, got.successes) == (8, 6)
        assert got.p95_latency_ms == usage_schema.bucket_upper_ms(usage_schema.latency_bucket(2400))
        assert figures(upgraded.stats()) == figures(fresh.stats())
        windows = [(w.requests, w.tokens) for w in upgraded.count_windows(queries)]
        assert (
            windows
            == [(w.requests, w.tokens) for w in fresh.count_windows(queries)]
            == [(7, 25), (5, 10), (4, 10)]
        )
        extra = rec(10.0, seconds=3800)
        upgraded.record([extra])
        fresh.record([extra])  # the trigger after the upgrade counts a new row once
        assert figures(upgraded.stats()) == figures(fresh.stats())
        assert upgraded.stats()[("p", "m", "chat")].calls == 9 and upgraded.count() == 9


def test_connections_get_deadlines_and_keep_alives_unless_the_url_sets_its_own(postgres_url: str):
    def settings(store: PostgresUsageStore) -> tuple[dict[str, str], str]:
        with store._connection() as db:
            return db.info.get_parameters(), str(db.execute("SHOW statement_timeout").fetchone()[0])

    with PostgresUsageStore(postgres_url, migrate=False) as store:
        params, timeout = settings(store)
    wanted = {"connect_timeout": "5", "application_name": "freegin-ai", "keepalives": "1"}
    wanted |= {"keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3"}
    assert {k: params.get(k) for k in [*wanted, "tcp_user_timeout"]} == wanted | {"tcp_user_timeout": "10000"}
    assert timeout == "30s"
    own = postgres_url.replace("options=", "options=-cstatement_timeout%3D5s%20") + "&connect_timeout=3"
    with PostgresUsageStore(own + "&application_name=mine", migrate=False) as store:
        params, timeout = settings(store)
    assert (params["connect_timeout"], params["application_name"], timeout) == ("3", "mine", "5s")


def test_idle_connections_are_reused_up_to_a_few_and_none_after_closing(postgres_url: str):
    store = PostgresUsageStore(postgres_url, migrate=False)
    with store._connection() as db:
        first = db.info.backend_pid
    with store._connection() as db:
        assert db.info.backend_pid == first  # the idle one, not a new one
    with contextlib.ExitStack() as held:
        opened = [held.enter_context(store._connection()) for _ in range(6)]
        assert len({db.info.backend_pid for db in opened}) == 6
    assert len(store._idle) == 4  # the other two are closed
    with store._connection() as db:
        db.execute("BEGIN")  # left inside a transaction: closed, not given to the next caller
    assert len(store._idle) == 3 and db.closed
    store.close()
    assert store._idle == [] and all(db.closed for db in opened)
    with pytest.raises(UsageStoreError, match=r"^the usage database .* was closed$"):
        store.count()


def test_an_empty_batch_or_query_list_asks_nothing_of_the_server(postgres_url: str):
    with PostgresUsageStore(postgres_url) as store:
        store.record([])
        assert store.count_windows([]) == []
        assert store.count() == 0


def test_two_values_of_one_header_at_the_same_time_keep_the_later_in_the_batch(postgres_url: str):
    with PostgresUsageStore(postgres_url) as store:
        store.record(
            [rec(rate_limits=(RateLimitValue("requests", 10, n),)) for n in (9, 8, 7)]  # one timestamp
        )
        [seen] = store.rate_limits()
    assert (seen.value.remaining, seen.ts) == (7, iso_utc(T0))
