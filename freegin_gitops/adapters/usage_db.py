"""The usage sidecar: a SQLite database recording every routed call.

WAL mode and a busy timeout let several router processes write at once without losing a row. The
schema (:mod:`~freegin_gitops.adapters.usage_schema`) is an ordered list of migrations, each
applied once and counted in ``PRAGMA user_version``. Triggers keep figures per provider x model x
workload (``usage_rollup``: the mean latency exactly, the p95 from a histogram of buckets 5 % wide)
and per-minute budget counts (``usage_minute``) up to date, so statistics and budget windows stay
fast at millions of rows. The rollup trigger calls ``freegin_hist_add``, a function every
connection of this module registers: rows are meant to be written through freegin-ai.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from freegin_gitops.adapters.usage_schema import (
    MIGRATIONS,
    WINDOW_EDGE_MODEL_SQL,
    WINDOW_EDGE_PROVIDER_SQL,
    WINDOW_HOURS_SQL,
    WINDOW_MINUTES_SQL,
    WINDOW_OLDEST_MODEL_SQL,
    WINDOW_OLDEST_PROVIDER_SQL,
    decode_histogram,
    hist_add,
    p95,
)
from freegin_gitops.core.usage import (
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


def utc_now_iso() -> str:
    return iso_utc(time.time())


def _failure(path: Path, doing: str, exc: sqlite3.Error) -> UsageStoreError:
    """One sentence for a SQLite failure: what could not be done, with which file, and why in
    words a person can act on (a damaged file, missing tables, a read-only file)."""
    text = str(exc)
    if "no such table" in text:
        why = f"it lacks the tables its schema version promises ({text})"
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why = f"it is damaged ({text})"
    elif "readonly" in text or "read-only" in text:
        why = "it is read-only"
    else:
        why = text
    return UsageStoreError(
        f"{doing} the usage database {path}: {why}; move it aside or name another with --db"
    )


def _refuse_special(path: Path) -> None:
    """:class:`UsageStoreError` when ``path`` (or its journal) exists and is not a regular file:
    SQLite would wait for ever on a FIFO and fail obscurely on a folder or a device."""
    for candidate in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        try:
            mode = candidate.stat().st_mode
        except OSError:
            continue  # absent (it is created) or unreachable (SQLite says why)
        if not stat.S_ISREG(mode):
            raise UsageStoreError(
                f"cannot open the usage database {path}: {candidate} is not a regular file; "
                "move it aside or name another with --db"
            )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; a WAL database in a folder that cannot be written is read as it
    stands (``immutable``), since SQLite cannot make its shared-memory file there."""
    last: sqlite3.Error | None = None
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(
                f"{path.absolute().as_uri()}?{flags}",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            last = exc
            continue
        return db
    assert last is not None
    raise _failure(path, "cannot read", last) from last


class SqliteUsageStore:
    """An open usage database, a :class:`~freegin_gitops.core.usage_store.UsageStore`. Use as a
    context manager, or call :meth:`close`."""

    def __init__(self, path: Path, *, migrate: bool = True, read_only: bool = False) -> None:
        """With ``read_only``, nothing is created, migrated or switched to WAL, so a file that
        cannot be written (a copy, another user's) still reads."""
        self.path = path
        self._lock = threading.RLock()
        _refuse_special(path)
        if read_only:
            self._db = _connect_read_only(path)
            self._refuse_newer(self.version)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection, shared by a refresh's threads under ``_lock``; the timeout is
            # SQLite's busy timeout (PRAGMA busy_timeout), for readers and writers alike.
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.create_function("freegin_hist_add", 3, hist_add, deterministic=True)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                self.migrate()
        except sqlite3.Error as exc:
            raise _failure(path, "cannot open", exc) from exc
        except OSError as exc:
            raise UsageStoreError(f"the usage database {path} cannot be opened: {exc.strerror}") from exc

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
            raise _failure(self.path, "usage could not be recorded in", exc) from exc

    def stats(self) -> dict[UsageKey, UsageStats]:
        """Figures for every provider x model x workload seen."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT provider, model, workload, calls, successes, success_latency_sum, last_ts, "
                    "latency_hist FROM usage_rollup"
                ).fetchall()
        except sqlite3.Error as exc:
            raise _failure(self.path, "usage figures cannot be read from", exc) from exc
        return {
            (provider, model, workload): UsageStats(
                calls=calls,
                successes=successes,
                mean_latency_ms=latency_sum / successes if successes else None,
                p95_latency_ms=p95(decode_histogram(hist), successes),
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
            raise _failure(self.path, "budget counts cannot be read from", exc) from exc

    def _count_window(self, query: WindowQuery) -> WindowUsage:
        first_minute = math.ceil(query.since_epoch / 60)
        first_hour = math.ceil(first_minute / 60)
        model = query.model if query.model is not None else ""
        requests, tokens = self._db.execute(WINDOW_HOURS_SQL, (query.provider, model, first_hour)).fetchone()
        if first_minute < first_hour * 60:
            more_requests, more_tokens = self._db.execute(
                WINDOW_MINUTES_SQL, (query.provider, model, first_minute, first_hour * 60)
            ).fetchone()
            requests, tokens = requests + more_requests, tokens + more_tokens
        key = (query.provider, query.model) if query.model is not None else (query.provider,)
        since_ts, edge_end_ts = iso_utc(query.since_epoch), iso_utc(first_minute * 60.0)
        if since_ts < edge_end_ts:
            edge = WINDOW_EDGE_MODEL_SQL if query.model is not None else WINDOW_EDGE_PROVIDER_SQL
            edge_requests, edge_tokens = self._db.execute(edge, (*key, since_ts, edge_end_ts)).fetchone()
            requests, tokens = requests + edge_requests, tokens + edge_tokens
        oldest = None
        if requests:
            sql = WINDOW_OLDEST_MODEL_SQL if query.model is not None else WINDOW_OLDEST_PROVIDER_SQL
            found = self._db.execute(sql, (*key, since_ts)).fetchone()
            oldest = epoch_of(found[0]) if found is not None else None
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
            raise _failure(self.path, "a cool-down could not be recorded in", exc) from exc

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]:
        """The cool-downs that end after ``now_epoch``."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT provider, model, until_epoch, reason FROM cooldown WHERE until_epoch > ?",
                    (now_epoch,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise _failure(self.path, "cool-downs cannot be read from", exc) from exc
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
            raise _failure(self.path, "rate-limit headers cannot be read from", exc) from exc
        return [
            RateLimitSeen(provider, model, RateLimitValue(name, limit, remaining), ts)
            for provider, model, name, limit, remaining, ts in rows
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM provider_usage").fetchone()[0])
