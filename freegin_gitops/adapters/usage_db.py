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
import datetime as dt
import math
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from freegin_gitops.core.usage import UsageKey, UsageStats
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


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Sequence[Migration] = (_v1_provider_usage, _v2_rollups, _v3_cooldowns)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    provider: str
    model: str
    workload: str
    latency_ms: float
    success: bool
    error_kind: str | None = None
    status_code: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    ts: str | None = None  # ISO 8601 UTC; now when None


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UsageStore:
    """An open usage database. Use as a context manager, or call :meth:`close`."""

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

    def __enter__(self) -> UsageStore:
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
        """Insert rows in one transaction."""
        rows = [
            (
                r.ts or utc_now_iso(),
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
            for r in records
        ]
        try:
            with self._write():
                self._db.executemany(
                    """INSERT INTO provider_usage (ts, provider, model, workload, latency_ms,
                       success, error_kind, status_code, prompt_tokens, completion_tokens,
                       total_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    rows,
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

    def cooldowns(self, now_epoch: float | None = None) -> dict[str, tuple[float, str]]:
        """Providers cooling down after a 429: provider -> (until, reason), expired ones left out."""
        now = time.time() if now_epoch is None else now_epoch
        with self._lock:
            rows = self._db.execute(
                "SELECT provider, until_epoch, reason FROM provider_cooldown WHERE until_epoch > ?", (now,)
            ).fetchall()
        return {provider: (until, reason) for provider, until, reason in rows}

    def set_cooldown(self, provider: str, until_epoch: float, reason: str) -> None:
        """Remember that ``provider`` must not be called before ``until_epoch`` (the later wins)."""
        try:
            with self._write():
                self._db.execute(
                    """INSERT INTO provider_cooldown VALUES (?, ?, ?)
                       ON CONFLICT (provider) DO UPDATE SET
                         reason = CASE WHEN excluded.until_epoch > until_epoch
                                       THEN excluded.reason ELSE reason END,
                         until_epoch = max(until_epoch, excluded.until_epoch)""",
                    (provider, until_epoch, reason),
                )
        except sqlite3.Error as exc:
            raise UsageStoreError(f"a cool-down could not be recorded in {self.path}: {exc}") from exc

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
