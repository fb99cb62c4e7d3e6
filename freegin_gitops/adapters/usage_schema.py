"""The usage database's schema: the ordered migrations, the latency histogram their trigger
keeps, and the SQL of a budget window's count. Applied and used by
:mod:`freegin_gitops.adapters.usage_db`; a migration, once released, is never changed.
"""

from __future__ import annotations

import math
import sqlite3
import sys
from array import array
from collections.abc import Callable, Sequence

from freegin_gitops.core.usage import NOT_REACHED_KINDS

BUCKET_RATIO = 1.05  # latency histogram: bucket b holds [1.05**b, 1.05**(b+1)) milliseconds
BUCKETS = 320  # up to 1.05**320 ms, about 100 minutes; slower calls count in the last bucket


def latency_bucket(latency_ms: float) -> int:
    if latency_ms < 1:
        return 0
    return min(BUCKETS - 1, int(math.log(latency_ms) / math.log(BUCKET_RATIO)))


def bucket_upper_ms(bucket: int) -> float:
    return float(BUCKET_RATIO ** (bucket + 1))


def decode_histogram(blob: bytes | None) -> array[int]:
    """Counts per bucket, from the little-endian uint32 blob stored in ``usage_rollup``."""
    counts = array("I", bytes(4 * BUCKETS) if blob is None else blob)
    if sys.byteorder == "big":
        counts.byteswap()
    return counts


def encode_histogram(counts: array[int]) -> bytes:
    if sys.byteorder == "big":
        counts = array("I", counts)
        counts.byteswap()
    return counts.tobytes()


def hist_add(blob: bytes | None, latency_ms: float, success: int) -> bytes | None:
    """The histogram ``blob`` with one more call of ``latency_ms`` (successful calls only)."""
    if not success:
        return blob if blob is not None else encode_histogram(decode_histogram(None))
    counts = decode_histogram(blob)
    counts[latency_bucket(latency_ms)] += 1
    return encode_histogram(counts)


def _v1_provider_usage(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE provider_usage (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            workload TEXT NOT NULL,
            latency_ms REAL NOT NULL,
            success INTEGER NOT NULL CHECK (success IN (0, 1)),
            error_kind TEXT,
            status_code INTEGER,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            total_tokens INTEGER
        )"""
    )
    db.execute("CREATE INDEX provider_usage_key ON provider_usage (provider, model, workload, ts)")


def _v2_rollups(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE usage_rollup (
            provider TEXT NOT NULL, model TEXT NOT NULL, workload TEXT NOT NULL,
            calls INTEGER NOT NULL, successes INTEGER NOT NULL,
            success_latency_sum REAL NOT NULL, last_ts TEXT NOT NULL,
            latency_hist BLOB NOT NULL,
            PRIMARY KEY (provider, model, workload)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TRIGGER provider_usage_rollup AFTER INSERT ON provider_usage BEGIN
            INSERT INTO usage_rollup VALUES (
                NEW.provider, NEW.model, NEW.workload, 1, NEW.success,
                CASE WHEN NEW.success THEN NEW.latency_ms ELSE 0 END, NEW.ts,
                freegin_hist_add(NULL, NEW.latency_ms, NEW.success))
            ON CONFLICT (provider, model, workload) DO UPDATE SET
                calls = calls + 1,
                successes = successes + NEW.success,
                success_latency_sum = success_latency_sum
                    + CASE WHEN NEW.success THEN NEW.latency_ms ELSE 0 END,
                last_ts = max(last_ts, NEW.ts),
                latency_hist = freegin_hist_add(latency_hist, NEW.latency_ms, NEW.success);
        END"""
    )
    histograms: dict[tuple[str, str, str], array[int]] = {}
    for provider, model, workload, latency in db.execute(
        "SELECT provider, model, workload, latency_ms FROM provider_usage WHERE success"
    ):
        counts = histograms.setdefault((provider, model, workload), decode_histogram(None))
        counts[latency_bucket(latency)] += 1
    empty = encode_histogram(decode_histogram(None))
    rows = db.execute(
        """SELECT provider, model, workload, COUNT(*), SUM(success),
                  TOTAL(CASE WHEN success THEN latency_ms ELSE 0 END), MAX(ts)
           FROM provider_usage GROUP BY provider, model, workload"""
    ).fetchall()
    db.executemany(
        "INSERT INTO usage_rollup VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, encode_histogram(histograms[row[:3]]) if row[:3] in histograms else empty) for row in rows],
    )


def _v3_cooldowns(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE provider_cooldown (
            provider TEXT PRIMARY KEY,
            until_epoch REAL NOT NULL,
            reason TEXT NOT NULL
        )"""
    )


# An attempt counts against its provider's budgets when it reached the provider
# (core.usage.reached_provider). The trigger of v4 holds this expression as it was then: a change
# of NOT_REACHED_KINDS needs a migration that recreates the trigger.
_REACHED = "({r}success OR {r}error_kind IS NULL OR {r}error_kind NOT IN ({kinds}))"
_TOKENS = "COALESCE({r}total_tokens, COALESCE({r}prompt_tokens, 0) + COALESCE({r}completion_tokens, 0))"
_KINDS = ", ".join(f"'{kind}'" for kind in sorted(NOT_REACHED_KINDS))


def _reached(row: str = "") -> str:
    return _REACHED.format(r=row, kinds=_KINDS)


def _tokens(row: str = "") -> str:
    return _TOKENS.format(r=row)


def _v4_budgets(db: sqlite3.Connection) -> None:
    """Budget windows, per-model cool-downs and the rate-limit headers seen.

    ``usage_minute`` counts what reached each provider x model (and, under model ``''``, each
    provider as a whole) in each minute, kept by a trigger: a day's count is a sum of at most
    1,440 rows however many calls the table holds. The two indexes answer the part of a window
    that starts inside a minute; the index on workload they replace served no query.
    """
    db.execute("DROP INDEX IF EXISTS provider_usage_key")
    db.execute("CREATE INDEX provider_usage_model_ts ON provider_usage (provider, model, ts)")
    db.execute("CREATE INDEX provider_usage_provider_ts ON provider_usage (provider, ts)")
    db.execute(
        """CREATE TABLE usage_minute (
            provider TEXT NOT NULL,
            model TEXT NOT NULL,  -- '' counts every model of the provider
            minute INTEGER NOT NULL,  -- minutes since the epoch, UTC
            requests INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            PRIMARY KEY (provider, model, minute)
        ) WITHOUT ROWID"""
    )
    minute = "CAST(strftime('%s', NEW.ts) AS INTEGER) / 60"
    upsert = (
        "INSERT INTO usage_minute VALUES (NEW.provider, {model}, {minute}, 1, {tokens}) "
        "ON CONFLICT (provider, model, minute) DO UPDATE SET "
        "requests = requests + 1, tokens = tokens + excluded.tokens;"
    )
    db.execute(
        f"""CREATE TRIGGER provider_usage_minute AFTER INSERT ON provider_usage
            WHEN {_reached("NEW.")} BEGIN
            {upsert.format(model="NEW.model", minute=minute, tokens=_tokens("NEW."))}
            {upsert.format(model="''", minute=minute, tokens=_tokens("NEW."))}
        END"""
    )
    for model in ("model", "''"):
        db.execute(
            f"""INSERT INTO usage_minute
                SELECT provider, {model}, CAST(strftime('%s', ts) AS INTEGER) / 60 AS m,
                       COUNT(*), TOTAL({_tokens()})
                FROM provider_usage WHERE {_reached()} AND strftime('%s', ts) IS NOT NULL
                GROUP BY provider, {model}, m"""  # noqa: S608 (constant SQL of this module)
        )
    db.execute(
        """CREATE TABLE cooldown (
            provider TEXT NOT NULL,
            model TEXT NOT NULL,  -- '' cools down every model of the provider
            until_epoch REAL NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (provider, model)
        ) WITHOUT ROWID"""
    )
    db.execute("INSERT INTO cooldown SELECT provider, '', until_epoch, reason FROM provider_cooldown")
    db.execute("DROP TABLE provider_cooldown")
    db.execute(
        """CREATE TABLE rate_limit_seen (
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            name TEXT NOT NULL,  -- header suffix: requests, tokens-day, ... ('' for the bare one)
            limit_value INTEGER,
            remaining INTEGER,
            ts TEXT NOT NULL,
            PRIMARY KEY (provider, model, name)
        ) WITHOUT ROWID"""
    )


def _v5_hours(db: sqlite3.Connection) -> None:
    """Per-hour budget counts (``usage_hour``, like ``usage_minute``), so that a day's count is
    at most 60 minute rows and 24 hour rows; measured: summing 1,000 minute rows took most of
    a millisecond."""
    db.execute(
        """CREATE TABLE usage_hour (
            provider TEXT NOT NULL,
            model TEXT NOT NULL,  -- '' counts every model of the provider
            hour INTEGER NOT NULL,  -- hours since the epoch, UTC
            requests INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            PRIMARY KEY (provider, model, hour)
        ) WITHOUT ROWID"""
    )
    hour = "CAST(strftime('%s', NEW.ts) AS INTEGER) / 3600"
    upsert = (
        "INSERT INTO usage_hour VALUES (NEW.provider, {model}, {hour}, 1, {tokens}) "
        "ON CONFLICT (provider, model, hour) DO UPDATE SET "
        "requests = requests + 1, tokens = tokens + excluded.tokens;"
    )
    db.execute(
        f"""CREATE TRIGGER provider_usage_hour AFTER INSERT ON provider_usage
            WHEN {_reached("NEW.")} BEGIN
            {upsert.format(model="NEW.model", hour=hour, tokens=_tokens("NEW."))}
            {upsert.format(model="''", hour=hour, tokens=_tokens("NEW."))}
        END"""
    )
    db.execute(
        """INSERT INTO usage_hour
           SELECT provider, model, minute / 60 AS h, SUM(requests), SUM(tokens)
           FROM usage_minute GROUP BY provider, model, h"""
    )


# A window: its whole hours and the whole minutes before them from the rollups, the rest of its
# first minute from the rows; its oldest request from the rows, by the index (one step).
WINDOW_HOURS_SQL = (
    "SELECT TOTAL(requests), TOTAL(tokens) FROM usage_hour WHERE provider = ? AND model = ? AND hour >= ?"
)
WINDOW_MINUTES_SQL = (
    "SELECT TOTAL(requests), TOTAL(tokens) FROM usage_minute "
    "WHERE provider = ? AND model = ? AND minute >= ? AND minute < ?"
)
_OLDEST = (
    "SELECT ts FROM provider_usage "  # noqa: S608 (constant SQL)
    "WHERE {where} AND ts >= ? AND " + _reached() + " ORDER BY ts LIMIT 1"
)
WINDOW_OLDEST_MODEL_SQL = _OLDEST.format(where="provider = ? AND model = ?")
WINDOW_OLDEST_PROVIDER_SQL = _OLDEST.format(where="provider = ?")
_EDGE = (
    f"SELECT COUNT(*), TOTAL({_tokens()}) FROM provider_usage "  # noqa: S608 (constant SQL)
    "WHERE {where} AND ts >= ? AND ts < ? AND " + _reached()
)
WINDOW_EDGE_MODEL_SQL = _EDGE.format(where="provider = ? AND model = ?")
WINDOW_EDGE_PROVIDER_SQL = _EDGE.format(where="provider = ?")

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Sequence[Migration] = (_v1_provider_usage, _v2_rollups, _v3_cooldowns, _v4_budgets, _v5_hours)


def p95(counts: array[int], total: int) -> float | None:
    if not total:
        return None
    rank = math.ceil(0.95 * total)
    seen = 0
    for bucket, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bucket_upper_ms(bucket)
    return bucket_upper_ms(BUCKETS - 1)
