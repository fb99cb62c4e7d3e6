"""The usage sidecar: a SQLite database recording every routed call.

WAL mode and a busy timeout let several router processes write at once without losing a row. The
schema is built by :data:`MIGRATIONS`, an ordered list of functions applied once each and counted in
``PRAGMA user_version``. Figures per provider x model x workload are kept up to date by a trigger
in ``usage_rollup``, one row per key, so that statistics stay fast at millions of rows: the mean
latency is exact; the p95 is read from a latency histogram kept in the same row (a blob of counts
in buckets 5 % wide, so it is within 5 %). The trigger calls ``freegin_hist_add``, a function
every connection of this module registers: rows are meant to be written through freegin-ai.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from freegin_gitops.core.usage import (
    NOT_REACHED_KINDS,
    Cooldown,
    RateLimitSeen,
    RateLimitValue,
    UsageKey,
    UsageRecord,
    UsageStats,
    WindowQuery,
    WindowUsage,
    canonical_ts,
    epoch_of,
    iso_utc,
)
from freegin_gitops.errors import UsageStoreError

BUSY_TIMEOUT_MS = 30_000
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


# A window: its whole minutes from the rollup, the rest of its first minute from the rows.
WINDOW_MINUTES_SQL = (
    "SELECT TOTAL(requests), TOTAL(tokens), MIN(minute) FROM usage_minute "
    "WHERE provider = ? AND model = ? AND minute >= ?"
)
_EDGE = (
    f"SELECT COUNT(*), TOTAL({_tokens()}), MIN(ts) FROM provider_usage "  # noqa: S608 (constant SQL)
    "WHERE {where} AND ts >= ? AND ts < ? AND " + _reached()
)
WINDOW_EDGE_MODEL_SQL = _EDGE.format(where="provider = ? AND model = ?")
WINDOW_EDGE_PROVIDER_SQL = _EDGE.format(where="provider = ?")

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Sequence[Migration] = (_v1_provider_usage, _v2_rollups, _v3_cooldowns, _v4_budgets)


def utc_now_iso() -> str:
    return iso_utc(time.time())


class SqliteUsageStore:
    """An open usage database, a :class:`~freegin_gitops.core.usage_store.UsageStore`. Use as a
    context manager, or call :meth:`close`."""

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection, shared by a refresh's threads under ``_lock``.
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.create_function("freegin_hist_add", 3, hist_add, deterministic=True)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                self.migrate()
        except (sqlite3.Error, OSError) as exc:
            raise UsageStoreError(f"the usage database {path} cannot be opened: {exc}") from exc

    def __enter__(self) -> SqliteUsageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, upto: int | None = None) -> None:
        """Apply the migrations not applied yet (up to ``upto``), each once, under a write lock."""
        target = len(MIGRATIONS) if upto is None else upto
        self._refuse_newer(self.version)
        if self.version >= target:
            return
        with self._write():
            current = self.version  # re-read under the lock: another process may have migrated
            self._refuse_newer(current)
            for number in range(current, target):
                MIGRATIONS[number](self._db)
            self._db.execute(f"PRAGMA user_version = {target}")

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise UsageStoreError(
                f"the usage database {self.path} has schema version {version}, newer than this "
                f"freegin-ai knows ({len(MIGRATIONS)}); upgrade freegin-ai or use another --db"
            )

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record(self, records: Sequence[UsageRecord]) -> None:
        """Insert rows, and the rate-limit values they carry, in one transaction."""
        now = utc_now_iso()
        rows = []
        seen = []
        for r in records:
            try:
                ts = canonical_ts(r.ts) if r.ts is not None else now
            except ValueError:
                raise UsageStoreError(
                    f"usage of {r.provider}/{r.model} has an invalid timestamp {r.ts!r}"
                ) from None
            rows.append(
                (
                    ts,
                    r.provider,
                    r.model,
                    r.workload,
                    float(r.latency_ms),
                    int(r.success),
                    r.error_kind,
                    r.status_code,
                    r.prompt_tokens,
                    r.completion_tokens,
                    r.total_tokens,
                )
            )
            seen += [(r.provider, r.model, v.name, v.limit, v.remaining, ts) for v in r.rate_limits]
        try:
            with self._write():
                self._db.executemany(
                    """INSERT INTO provider_usage (ts, provider, model, workload, latency_ms,
                       success, error_kind, status_code, prompt_tokens, completion_tokens,
                       total_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    rows,
                )
                if seen:
                    self._db.executemany(
                        """INSERT INTO rate_limit_seen VALUES (?, ?, ?, ?, ?, ?)
                           ON CONFLICT (provider, model, name) DO UPDATE SET
                             limit_value = excluded.limit_value, remaining = excluded.remaining,
                             ts = excluded.ts
                           WHERE excluded.ts >= ts""",
                        seen,
                    )
        except sqlite3.Error as exc:
            raise UsageStoreError(f"usage could not be recorded in {self.path}: {exc}") from exc

    def stats(self) -> dict[UsageKey, UsageStats]:
        """Figures for every provider x model x workload seen."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT provider, model, workload, calls, successes, success_latency_sum, last_ts, "
                    "latency_hist FROM usage_rollup"
                ).fetchall()
        except sqlite3.Error as exc:
            raise UsageStoreError(f"usage figures cannot be read from {self.path}: {exc}") from exc
        return {
            (provider, model, workload): UsageStats(
                calls=calls,
                successes=successes,
                mean_latency_ms=latency_sum / successes if successes else None,
                p95_latency_ms=_p95(decode_histogram(hist), successes),
                last_used=last_ts,
            )
            for provider, model, workload, calls, successes, latency_sum, last_ts, hist in rows
        }

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        """What reached each provider (or model) since each query's start, from the minute
        rollup and, for the part of the first minute after the start, the rows themselves."""
        try:
            with self._lock:
                return [self._count_window(q) for q in queries]
        except sqlite3.Error as exc:
            raise UsageStoreError(f"budget counts cannot be read from {self.path}: {exc}") from exc

    def _count_window(self, query: WindowQuery) -> WindowUsage:
        first_minute = math.ceil(query.since_epoch / 60)
        model = query.model if query.model is not None else ""
        requests, tokens, oldest_minute = self._db.execute(
            WINDOW_MINUTES_SQL, (query.provider, model, first_minute)
        ).fetchone()
        # The bucket's end: its requests were made before then.
        oldest = (oldest_minute + 1) * 60.0 if oldest_minute is not None else None
        since_ts, edge_end_ts = iso_utc(query.since_epoch), iso_utc(first_minute * 60.0)
        if since_ts < edge_end_ts:
            sql, key = (
                (WINDOW_EDGE_MODEL_SQL, (query.provider, query.model))
                if query.model is not None
                else (WINDOW_EDGE_PROVIDER_SQL, (query.provider,))
            )
            edge_requests, edge_tokens, edge_oldest = self._db.execute(
                sql, (*key, since_ts, edge_end_ts)
            ).fetchone()
            requests += edge_requests
            tokens += edge_tokens
            if edge_oldest is not None:
                oldest = epoch_of(edge_oldest)
        return WindowUsage(int(requests), int(tokens), oldest)

    def cool_down(self, cooldown: Cooldown) -> None:
        """Keep ``cooldown.provider`` (or one model of it) uncalled until ``until_epoch``; a
        cool-down already set for the same provider and model that ends later is kept."""
        try:
            with self._write():
                self._db.execute(
                    """INSERT INTO cooldown VALUES (?, ?, ?, ?)
                       ON CONFLICT (provider, model) DO UPDATE SET
                         reason = CASE WHEN excluded.until_epoch > until_epoch
                                       THEN excluded.reason ELSE reason END,
                         until_epoch = max(until_epoch, excluded.until_epoch)""",
                    (cooldown.provider, cooldown.model or "", cooldown.until_epoch, cooldown.reason),
                )
        except sqlite3.Error as exc:
            raise UsageStoreError(f"a cool-down could not be recorded in {self.path}: {exc}") from exc

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]:
        """The cool-downs that end after ``now_epoch``."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT provider, model, until_epoch, reason FROM cooldown WHERE until_epoch > ?",
                    (now_epoch,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise UsageStoreError(f"cool-downs cannot be read from {self.path}: {exc}") from exc
        return [Cooldown(provider, model or None, until, reason) for provider, model, until, reason in rows]

    def rate_limits(self) -> list[RateLimitSeen]:
        """The latest rate-limit header values seen, per provider, model and header."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT provider, model, name, limit_value, remaining, ts FROM rate_limit_seen "
                    "ORDER BY provider, model, name"
                ).fetchall()
        except sqlite3.Error as exc:
            raise UsageStoreError(f"rate-limit headers cannot be read from {self.path}: {exc}") from exc
        return [
            RateLimitSeen(provider, model, RateLimitValue(name, limit, remaining), ts)
            for provider, model, name, limit, remaining, ts in rows
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM provider_usage").fetchone()[0])


def _p95(counts: array[int], total: int) -> float | None:
    if not total:
        return None
    rank = math.ceil(0.95 * total)
    seen = 0
    for bucket, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bucket_upper_ms(bucket)
    return bucket_upper_ms(BUCKETS - 1)
