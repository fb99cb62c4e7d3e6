"""The PostgreSQL usage store's schema: its ordered migrations and the SQL of its queries.

The tables are the SQLite store's (:mod:`~freegin_gitops.adapters.usage_schema`), in the first
schema of the connection's ``search_path``, with PostgreSQL's types (``timestamptz``, ``boolean``).
The migrations applied are recorded in ``freegin_migrations``, one row per migration (number,
name, when), made by the store itself; a migration, once released, is never changed.

The figures are kept by one statement-level trigger: each ``INSERT`` into ``provider_usage`` adds
its rows, grouped, to ``usage_rollup`` (calls, successes, latency sum, last use, and the p95
histogram as an array of 320 counts) and ``usage_minute`` (the budget counts). The groups are
upserted in key order, table after table, so writers that touch the same figures take their row
locks in one order and never deadlock; the store inserts a whole batch with one statement for
the same reason.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from freegin_gitops.adapters.usage_schema import BUCKET_RATIO, BUCKETS
from freegin_gitops.core.usage import NOT_REACHED_KINDS

if TYPE_CHECKING:
    import psycopg

_KINDS = ", ".join(f"'{kind}'" for kind in sorted(NOT_REACHED_KINDS))
# The trigger holds these expressions as they were when it was made: a change of
# NOT_REACHED_KINDS or of the histogram needs a migration that replaces the function.
_REACHED = f"(success OR error_kind IS NULL OR error_kind NOT IN ({_KINDS}))"
_TOKENS = "COALESCE(total_tokens, COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0))"
_BUCKET = (
    f"CASE WHEN latency_ms < 1 THEN 0 ELSE "
    f"LEAST({BUCKETS - 1}, FLOOR(LN(latency_ms) / LN({BUCKET_RATIO!r}::float8)))::int END"
)
_MINUTE = "FLOOR(EXTRACT(EPOCH FROM ts) / 60)::bigint"


def _v1_tables(db: psycopg.Connection) -> None:
    """Attempts, cool-downs and the rate-limit headers seen."""
    db.execute(
        """CREATE TABLE provider_usage (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts timestamptz NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            workload text NOT NULL,
            latency_ms double precision NOT NULL,
            success boolean NOT NULL,
            error_kind text,
            status_code integer,
            prompt_tokens bigint,
            completion_tokens bigint,
            total_tokens bigint
        )"""
    )
    # The part of a budget window that starts inside a minute is counted from the rows.
    db.execute("CREATE INDEX provider_usage_model_ts ON provider_usage (provider, model, ts)")
    db.execute("CREATE INDEX provider_usage_provider_ts ON provider_usage (provider, ts)")
    db.execute(
        """CREATE TABLE cooldown (
            provider text NOT NULL,
            model text NOT NULL,  -- '' cools down every model of the provider
            until_epoch double precision NOT NULL,
            reason text NOT NULL,
            PRIMARY KEY (provider, model)
        )"""
    )
    db.execute(
        """CREATE TABLE rate_limit_seen (
            provider text NOT NULL,
            model text NOT NULL,
            name text NOT NULL,  -- header suffix: requests, tokens-day, ... ('' for the bare one)
            limit_value bigint,
            remaining bigint,
            ts timestamptz NOT NULL,
            PRIMARY KEY (provider, model, name)
        )"""
    )


def _minute_counts(source: str) -> str:
    """Each attempt of ``source`` that reached the provider counts for its model and, under '',
    for the provider as a whole (constant SQL of this module: ``source`` is a table name)."""
    return f"""INSERT INTO usage_minute AS m
            SELECT provider, scope, minute, SUM(requests), SUM(tokens)
            FROM (
                SELECT provider, model AS scope, {_MINUTE} AS minute, 1 AS requests, {_TOKENS} AS tokens
                FROM {source} WHERE {_REACHED}
                UNION ALL
                SELECT provider, '', {_MINUTE}, 1, {_TOKENS} FROM {source} WHERE {_REACHED}
            ) reached
            GROUP BY provider, scope, minute ORDER BY provider, scope, minute
            ON CONFLICT (provider, model, minute) DO UPDATE SET
                requests = m.requests + excluded.requests,
                tokens = m.tokens + excluded.tokens"""  # noqa: S608


def _figures_v2(source: str) -> list[str]:
    """The statements of version 2 that add the rows of ``source`` to the three figure tables
    (constant SQL of this module: ``source`` is a table name written here)."""
    return [
        f"""INSERT INTO usage_rollup AS r
            SELECT provider, model, workload, COUNT(*), COUNT(*) FILTER (WHERE success),
                   COALESCE(SUM(latency_ms) FILTER (WHERE success), 0), MAX(ts)
            FROM {source} GROUP BY provider, model, workload ORDER BY provider, model, workload
            ON CONFLICT (provider, model, workload) DO UPDATE SET
                calls = r.calls + excluded.calls,
                successes = r.successes + excluded.successes,
                success_latency_sum = r.success_latency_sum + excluded.success_latency_sum,
                last_ts = GREATEST(r.last_ts, excluded.last_ts)""",  # noqa: S608
        f"""INSERT INTO usage_latency AS l
            SELECT provider, model, workload, {_BUCKET} AS bucket, COUNT(*)
            FROM {source} WHERE success
            GROUP BY provider, model, workload, bucket ORDER BY provider, model, workload, bucket
            ON CONFLICT (provider, model, workload, bucket) DO UPDATE SET
                calls = l.calls + excluded.calls""",  # noqa: S608
        _minute_counts(source),
    ]


def _v2_figures(db: psycopg.Connection) -> None:
    """Figures per provider x model x workload and per-minute budget counts, kept by a trigger
    and filled from the rows already there."""
    db.execute(
        """CREATE TABLE usage_rollup (
            provider text NOT NULL, model text NOT NULL, workload text NOT NULL,
            calls bigint NOT NULL, successes bigint NOT NULL,
            success_latency_sum double precision NOT NULL, last_ts timestamptz NOT NULL,
            PRIMARY KEY (provider, model, workload)
        )"""
    )
    db.execute(
        """CREATE TABLE usage_latency (
            provider text NOT NULL, model text NOT NULL, workload text NOT NULL,
            bucket smallint NOT NULL,  -- successful calls of [1.05**b, 1.05**(b+1)) ms
            calls bigint NOT NULL,
            PRIMARY KEY (provider, model, workload, bucket)
        )"""
    )
    db.execute(
        """CREATE TABLE usage_minute (
            provider text NOT NULL,
            model text NOT NULL,  -- '' counts every model of the provider
            minute bigint NOT NULL,  -- minutes since the epoch, UTC
            requests bigint NOT NULL,
            tokens bigint NOT NULL,
            PRIMARY KEY (provider, model, minute)
        )"""
    )
    body = ";\n".join(_figures_v2("new_rows"))
    # SET search_path FROM CURRENT: the function finds these tables whoever inserts, whatever
    # their own search_path.
    db.execute(
        f"""CREATE FUNCTION freegin_usage_figures() RETURNS trigger LANGUAGE plpgsql
            SET search_path FROM CURRENT AS $fn$
            BEGIN
                {body};
                RETURN NULL;
            END $fn$"""
    )
    db.execute(
        """CREATE TRIGGER provider_usage_figures AFTER INSERT ON provider_usage
           REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
           EXECUTE FUNCTION freegin_usage_figures()"""
    )
    for statement in _figures_v2("provider_usage"):
        db.execute(statement)


def _figures_v3(source: str) -> list[str]:
    """The statements of version 3: the latency histogram lives in the rollup row."""
    return [
        f"""INSERT INTO usage_rollup AS r
            SELECT k.provider, k.model, k.workload, k.calls, k.successes, k.latency_sum, k.last_ts,
                   freegin_histogram(h.buckets, h.counts)
            FROM (
                SELECT provider, model, workload, COUNT(*) AS calls,
                       COUNT(*) FILTER (WHERE success) AS successes,
                       COALESCE(SUM(latency_ms) FILTER (WHERE success), 0) AS latency_sum,
                       MAX(ts) AS last_ts
                FROM {source} GROUP BY provider, model, workload
            ) k
            LEFT JOIN (
                SELECT provider, model, workload, array_agg(bucket) AS buckets, array_agg(n) AS counts
                FROM (
                    SELECT provider, model, workload, {_BUCKET} AS bucket, COUNT(*)::int AS n
                    FROM {source} WHERE success GROUP BY provider, model, workload, bucket
                ) b
                GROUP BY provider, model, workload
            ) h USING (provider, model, workload)
            ORDER BY provider, model, workload
            ON CONFLICT (provider, model, workload) DO UPDATE SET
                calls = r.calls + excluded.calls,
                successes = r.successes + excluded.successes,
                success_latency_sum = r.success_latency_sum + excluded.success_latency_sum,
                last_ts = GREATEST(r.last_ts, excluded.last_ts),
                latency_hist = freegin_histogram_sum(r.latency_hist, excluded.latency_hist)""",  # noqa: S608
        _minute_counts(source),
    ]


def _v3_histogram_in_the_rollup(db: psycopg.Connection) -> None:
    """Each key's latency histogram as an array in its rollup row (as SQLite keeps a blob), so
    the figures are one row per key: ``usage_latency``'s rows, up to 320 a key, made reading
    the figures cost as many index probes."""
    db.execute(
        f"""CREATE FUNCTION freegin_histogram(buckets integer[], counts integer[])
            RETURNS integer[] LANGUAGE plpgsql IMMUTABLE AS $fn$
            DECLARE
                histogram integer[] := array_fill(0, ARRAY[{BUCKETS}]);
            BEGIN
                FOR i IN 1 .. COALESCE(array_length(buckets, 1), 0) LOOP
                    histogram[buckets[i] + 1] := histogram[buckets[i] + 1] + counts[i];
                END LOOP;
                RETURN histogram;
            END $fn$"""
    )
    db.execute(
        """CREATE FUNCTION freegin_histogram_sum(a integer[], b integer[])
            RETURNS integer[] LANGUAGE sql IMMUTABLE AS $fn$
            SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
            $fn$"""
    )
    db.execute(
        "ALTER TABLE usage_rollup ADD COLUMN latency_hist integer[] NOT NULL "
        f"DEFAULT array_fill(0, ARRAY[{BUCKETS}])"
    )
    db.execute(
        """UPDATE usage_rollup r SET latency_hist = freegin_histogram(l.buckets, l.counts)
           FROM (
               SELECT provider, model, workload, array_agg(bucket::int) AS buckets,
                      array_agg(calls::int) AS counts
               FROM usage_latency GROUP BY provider, model, workload
           ) l
           WHERE (r.provider, r.model, r.workload) = (l.provider, l.model, l.workload)"""
    )
    db.execute("DROP TABLE usage_latency")
    body = ";\n".join(_figures_v3("new_rows"))
    db.execute(
        f"""CREATE OR REPLACE FUNCTION freegin_usage_figures() RETURNS trigger LANGUAGE plpgsql
            SET search_path FROM CURRENT AS $fn$
            BEGIN
                {body};
                RETURN NULL;
            END $fn$"""
    )


# Room on each page for new versions of the rows every insert updates (per cent of a page
# filled by inserts), and vacuum of the rollup after this many dead versions however few its rows.
ROLLUP_FILLFACTOR = 50
MINUTE_FILLFACTOR = 90
ROLLUP_VACUUM_THRESHOLD = 1000


def _v4_room_for_updates(db: psycopg.Connection) -> None:
    """Every insert updates its keys' rollup rows (and its minute's rows): 1.4 kB rows packed
    five to a page left no room for the new version on its page, so most updates went to a new
    page and the dead versions stayed until a vacuum. Measured: 840 rollup rows in 718 MB after
    a million rows recorded in batches, and ``stats()`` reading all of it. With free room on each
    page an update is a heap-only one (the key never changes) and the next update of the page
    prunes the dead versions, without waiting for autovacuum (which may be off). The rollup is
    rewritten once, compactly (its rows are few); ``usage_minute`` keeps its pages and gets the
    room in new ones."""
    db.execute(
        f"""ALTER TABLE usage_rollup SET (fillfactor = {ROLLUP_FILLFACTOR},
            autovacuum_vacuum_scale_factor = 0,
            autovacuum_vacuum_threshold = {ROLLUP_VACUUM_THRESHOLD},
            autovacuum_vacuum_cost_delay = 0)"""
    )
    db.execute("CLUSTER usage_rollup USING usage_rollup_pkey")
    db.execute(
        f"""ALTER TABLE usage_minute SET (fillfactor = {MINUTE_FILLFACTOR},
            autovacuum_vacuum_scale_factor = 0.02)"""
    )


def _v5_histogram_as_sent(db: psycopg.Connection) -> None:
    """Each rollup row keeps its histogram also as ``array_send``'s bytes, made by a row trigger
    when the histogram changes, so reading the figures sends stored bytes: measured, making them
    for 840 keys at each read (320 counts each, one by one) was most of the time of ``stats()``.
    The bytes are mostly zeros and are stored compressed (about 125 bytes a row)."""
    db.execute("ALTER TABLE usage_rollup ADD COLUMN latency_sent bytea")
    # Filled by rewriting the table (an UPDATE would leave a dead version of every row, which a
    # rewrite in the same transaction must keep).
    db.execute(
        """ALTER TABLE usage_rollup
           ALTER COLUMN latency_sent TYPE bytea USING array_send(latency_hist),
           ALTER COLUMN latency_sent SET NOT NULL"""
    )
    db.execute(
        """CREATE FUNCTION freegin_histogram_sent() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                NEW.latency_sent := array_send(NEW.latency_hist);
                RETURN NEW;
            END $fn$"""
    )
    db.execute(
        """CREATE TRIGGER usage_rollup_sent BEFORE INSERT OR UPDATE OF latency_hist ON usage_rollup
           FOR EACH ROW EXECUTE FUNCTION freegin_histogram_sent()"""
    )


Migration = Callable[["psycopg.Connection"], None]
MIGRATIONS: Sequence[Migration] = (
    _v1_tables,
    _v2_figures,
    _v3_histogram_in_the_rollup,
    _v4_room_for_updates,
    _v5_histogram_as_sent,
)

# -- queries ---------------------------------------------------------------------------------

INSERT_ROWS = """INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success,
        error_kind, status_code, prompt_tokens, completion_tokens, total_tokens)
    SELECT * FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::float8[],
        %s::boolean[], %s::text[], %s::integer[], %s::bigint[], %s::bigint[], %s::bigint[])"""

UPSERT_RATE_LIMITS = """INSERT INTO rate_limit_seen AS s
    SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[],
        %s::timestamptz[])
    ON CONFLICT (provider, model, name) DO UPDATE SET
        limit_value = excluded.limit_value, remaining = excluded.remaining, ts = excluded.ts
    WHERE excluded.ts >= s.ts"""

# Every window of a call in one statement: its whole minutes from usage_minute, the rest of its
# first minute from the rows (through the (provider, model, ts) / (provider, ts) indexes).
COUNT_WINDOWS = f"""SELECT q.i, minutes.requests, minutes.tokens, minutes.oldest,
        edge.requests, edge.tokens, edge.oldest
    FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::timestamptz[], %s::timestamptz[])
        WITH ORDINALITY AS q(provider, model, first_minute, since, edge_end, i)
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(tokens), 0) AS tokens,
               MIN(minute) AS oldest
        FROM usage_minute u
        WHERE u.provider = q.provider AND u.model = COALESCE(q.model, '')
          AND u.minute >= q.first_minute
    ) minutes
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS requests, COALESCE(SUM({_TOKENS}), 0) AS tokens, MIN(ts) AS oldest
        FROM provider_usage p
        WHERE p.provider = q.provider AND (q.model IS NULL OR p.model = q.model)
          AND p.ts >= q.since AND p.ts < q.edge_end AND {_REACHED}
    ) edge
    ORDER BY q.i"""  # noqa: S608 (constant SQL of this module)

UPSERT_COOLDOWN = """INSERT INTO cooldown AS c VALUES (%s, %s, %s, %s)
    ON CONFLICT (provider, model) DO UPDATE SET
        reason = CASE WHEN excluded.until_epoch > c.until_epoch THEN excluded.reason ELSE c.reason END,
        until_epoch = GREATEST(c.until_epoch, excluded.until_epoch)"""

ACTIVE_COOLDOWNS = "SELECT provider, model, until_epoch, reason FROM cooldown WHERE until_epoch > %s"

# The histogram as array_send's bytes, stored (read by decode_histogram): parsing 320 numbers a
# key into Python objects, or the server making the bytes, took most of the time of the read.
STATS = """SELECT provider, model, workload, calls, successes, success_latency_sum, last_ts,
        latency_sent
    FROM usage_rollup"""

# array_send of a one-dimensional integer[] without nulls: dimensions, a has-nulls flag, the
# element type, length and lower bound (4 bytes each); then each element as its length (4) and
# its value, big-endian.
_SENT_HEADER = 20
_SENT_SIZE = _SENT_HEADER + 8 * BUCKETS
_ONE_DIMENSION_NO_NULLS = bytes([0, 0, 0, 1, 0, 0, 0, 0])


def decode_histogram(sent: bytes) -> array[int] | None:
    """The counts per bucket of a histogram read by :data:`STATS`, or None when it is not an
    array of :data:`BUCKETS` counts."""
    if len(sent) != _SENT_SIZE or sent[:8] != _ONE_DIMENSION_NO_NULLS:
        return None
    words = array("I")
    words.frombytes(memoryview(sent)[_SENT_HEADER:])
    if sys.byteorder == "little":
        words.byteswap()
    return words[1::2]


RATE_LIMITS = """SELECT provider, model, name, limit_value, remaining, ts FROM rate_limit_seen
    ORDER BY provider, model, name"""
