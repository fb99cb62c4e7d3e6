"""The usage store in PostgreSQL (psycopg 3): one database shared by every router and gateway.

A :class:`~freegin_gitops.core.usage_store.UsageStore` with the SQLite store's tables and
figures (:mod:`~freegin_gitops.adapters.usage_pg_schema`), so the two answer alike. What differs
is what sharing a server asks for:

- **Deadlines.** A connection is made within ``connect_timeout`` (5 s unless the URL sets it),
  a statement runs within ``statement_timeout`` (30 s unless the server or URL sets one), and TCP
  keep-alives and ``tcp_user_timeout`` notice a server that went away mid-query within about
  10 s. Nothing waits forever on a database that cannot be reached.
- **Connections.** A small pool: each call takes an idle connection or opens one (at most
  :data:`MAX_CONNECTIONS` at once, for the gateway's threads), and a connection the server
  dropped is thrown away, so the store reconnects by itself once the server is back.
- **Secrets.** The URL's password is never shown: messages name the database by
  :func:`~freegin_gitops.core.database_url.shown_url`, and the driver's own text is scrubbed of
  the password before it is quoted (libpq echoes the parts of a URL it cannot parse).
- **Migrations** run in one transaction under an advisory lock, so many processes starting at
  once on a blank database create it once.
- **Durability** is the SQLite store's (WAL with ``synchronous = NORMAL``): commits do not wait
  for the server's disk flush (``synchronous_commit = off``, unless the URL's ``options`` set
  it), so a crashed router or gateway loses nothing it stored, and only a crash of the database
  server's machine can lose its last fraction of a second. Writers then hold the rollup rows they
  share for a moment, not for a disk flush, which is what many writers of one model need.

Every driver error becomes :class:`~freegin_gitops.errors.UsageStoreError` here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import conninfo, pq

from freegin_gitops.adapters.usage_pg_schema import (
    ACTIVE_COOLDOWNS,
    COUNT_WINDOWS,
    INSERT_ROWS,
    MIGRATIONS,
    RATE_LIMITS,
    STATS,
    UPSERT_COOLDOWN,
    UPSERT_RATE_LIMITS,
    decode_histogram,
)
from freegin_gitops.adapters.usage_schema import BUCKETS, p95
from freegin_gitops.core.database_url import shown_url, url_secrets
from freegin_gitops.core.redact import scrub
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
    iso_utc,
)
from freegin_gitops.errors import UsageStoreError

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT = "30s"
MAX_CONNECTIONS = 8
MAX_IDLE = 4
# Applied unless the URL says otherwise: a server that vanishes mid-query is noticed.
_CONNECTION_DEFAULTS = {
    "connect_timeout": str(CONNECT_TIMEOUT_S),
    "application_name": "freegin-ai",
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}
_LOCK_KEY = "freegin-ai usage schema"


def _datetime(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PostgresUsageStore:
    """An open PostgreSQL usage store at ``url``, migrated unless ``migrate`` is false. Use as a
    context manager, or call :meth:`close`. Safe to share between threads."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.shown = shown_url(url)
        self._secrets = url_secrets(url)
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = False
        try:
            self._given = conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            reason = self._clean(exc)
            raise UsageStoreError(f"--db {self.shown} is not a valid PostgreSQL URL: {reason}") from None
        with self._errors("cannot be reached"), self._connection():
            pass  # reachable now, or one sentence saying why not
        if migrate:
            self.migrate()

    def __enter__(self) -> PostgresUsageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresUsageStore({self.shown!r})"

    # -- connections -------------------------------------------------------------------------
    def _clean(self, exc: BaseException) -> str:
        """The driver's message, its first line (libpq adds generic hints), without the password."""
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        text = " ".join(lines[0].split()) if lines else type(exc).__name__
        text = text.removeprefix("connection failed: ")
        if isinstance(exc, psycopg.errors.ConnectionTimeout):
            text = f"no answer within {self._connect_timeout()} s ({text})"
        return scrub(text, self._secrets)

    def _connect_timeout(self) -> str:
        return str(self._given.get("connect_timeout") or CONNECT_TIMEOUT_S)

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Driver errors as one sentence: ``the usage database URL <what>: <why>``."""
        try:
            yield
        except psycopg.Error as exc:
            raise UsageStoreError(f"the usage database {self.shown} {what}: {self._clean(exc)}") from None

    def _connect(self) -> psycopg.Connection[Any]:
        extra = {k: v for k, v in _CONNECTION_DEFAULTS.items() if k not in self._given}
        db = psycopg.connect(conninfo.make_conninfo(self.url, **extra), autocommit=True)
        try:
            # The server's or the URL's own statement_timeout is kept; none at all is bounded.
            db.execute(
                "SELECT set_config('statement_timeout', %s, false) "
                "WHERE current_setting('statement_timeout') IN ('0', '0ms')",
                (STATEMENT_TIMEOUT,),
            )
            if "synchronous_commit" not in str(self._given.get("options") or ""):
                db.execute("SET synchronous_commit = off")
        except BaseException:
            db.close()
            raise
        return db

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """An idle connection of the pool, or a new one; back to the pool afterwards unless the
        server dropped it."""
        if self._closed:
            raise UsageStoreError(f"the usage database {self.shown} was closed")
        if not self._slots.acquire(timeout=float(CONNECT_TIMEOUT_S) * 2):
            raise UsageStoreError(f"the usage database {self.shown} is busy: no free connection")
        try:
            with self._lock:
                db = self._idle.pop() if self._idle else None
            if db is None:
                db = self._connect()
            try:
                yield db
            finally:
                healthy = not db.closed and not db.broken
                idle = healthy and db.info.transaction_status == pq.TransactionStatus.IDLE
                with self._lock:
                    keep = idle and not self._closed and len(self._idle) < MAX_IDLE
                    if keep:
                        self._idle.append(db)
                if not keep:
                    db.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    # -- schema --------------------------------------------------------------------------------
    def _version(self, db: psycopg.Connection[Any]) -> int | None:
        """The migrations applied, or None when the schema holds no freegin-ai tables."""
        (table,) = db.execute(
            "SELECT to_regclass(quote_ident(current_schema()) || '.freegin_migrations')"
        ).fetchone() or (None,)
        if table is None:
            return None
        (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM freegin_migrations").fetchone() or (0,)
        return int(version)

    @property
    def version(self) -> int:
        with self._errors("cannot be read"), self._connection() as db:
            return self._version(db) or 0

    def initialised(self) -> bool:
        """Whether the database holds freegin-ai's tables already."""
        with self._errors("cannot be read"), self._connection() as db:
            return self._version(db) is not None

    def _refuse_newer(self, version: int | None) -> None:
        if version is not None and version > len(MIGRATIONS):
            raise UsageStoreError(
                f"the usage database {self.shown} has schema version {version}, newer than this "
                f"freegin-ai knows ({len(MIGRATIONS)}); upgrade freegin-ai or use another --db"
            )

    def migrate(self, upto: int | None = None) -> None:
        """Create the tables, or apply the migrations not applied yet (up to ``upto``), each once,
        while holding a lock that other processes migrating the same schema wait for."""
        target = len(MIGRATIONS) if upto is None else upto
        with self._errors("cannot be migrated"), self._connection() as db:
            current = self._version(db)
            self._refuse_newer(current)
            if current is not None and current >= target:
                return
            with db.transaction():
                (schema,) = db.execute("SELECT current_schema()").fetchone() or (None,)
                if schema is None:
                    raise UsageStoreError(
                        f"the usage database {self.shown} has no schema to create its tables in: "
                        "the schemas of its search_path do not exist"
                    )
                db.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(current_schema()))", (_LOCK_KEY,)
                )
                db.execute("SET LOCAL statement_timeout = 0")  # filling figures from many rows
                db.execute(
                    """CREATE TABLE IF NOT EXISTS freegin_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())"""
                )
                current = self._version(db) or 0  # again, under the lock: another may have done it
                self._refuse_newer(current)
                for number in range(current, target):
                    migration = MIGRATIONS[number]
                    migration(db)
                    db.execute(
                        "INSERT INTO freegin_migrations (version, name) VALUES (%s, %s)",
                        (number + 1, migration.__name__.lstrip("_")),
                    )

    # -- the store's interface -----------------------------------------------------------------
    def record(self, records: Sequence[UsageRecord]) -> None:
        """Insert rows, and the rate-limit values they carry, in one transaction (one statement
        for the rows: see the schema module on lock order)."""
        if not records:
            return
        now = iso_utc(time.time())
        columns: list[list[Any]] = [[] for _ in range(11)]
        seen: dict[tuple[str, str, str], tuple[int | None, int | None, dt.datetime]] = {}
        for r in records:
            try:
                ts = _datetime(canonical_ts(r.ts) if r.ts is not None else now)
            except ValueError:
                raise UsageStoreError(
                    f"usage of {r.provider}/{r.model} has an invalid timestamp {r.ts!r}"
                ) from None
            row = (
                ts,
                r.provider,
                r.model,
                r.workload,
                float(r.latency_ms),
                bool(r.success),
                r.error_kind,
                r.status_code,
                r.prompt_tokens,
                r.completion_tokens,
                r.total_tokens,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            for v in r.rate_limits:
                key = (r.provider, r.model, v.name)
                if key not in seen or ts >= seen[key][2]:  # an older value never overwrites
                    seen[key] = (v.limit, v.remaining, ts)
        limits: list[list[Any]] = [[] for _ in range(6)]
        for key in sorted(seen):  # upserted in key order, as every writer does
            for column, value in zip(limits, (*key, *seen[key]), strict=True):
                column.append(value)
        with self._errors("could not record usage"), self._connection() as db, db.transaction():
            db.execute(INSERT_ROWS, columns)
            if seen:
                db.execute(UPSERT_RATE_LIMITS, limits)

    def stats(self) -> dict[UsageKey, UsageStats]:
        """Figures for every provider x model x workload seen: one rollup row per key, its p95
        read from the histogram in it (stored as the bytes of array_send, 320 counts a key)."""
        with self._errors("cannot be read"), self._connection() as db:
            rows = db.cursor(binary=True).execute(STATS).fetchall()
        figures = {}
        for provider, model, workload, calls, successes, latency_sum, last_ts, sent in rows:
            histogram = decode_histogram(sent)
            if histogram is None:
                raise UsageStoreError(
                    f"the usage database {self.shown} cannot be read: the latency histogram of "
                    f"{provider}/{model} ({workload}) is not {BUCKETS} counts"
                )
            figures[provider, model, workload] = UsageStats(
                calls=int(calls),
                successes=int(successes),
                mean_latency_ms=latency_sum / successes if successes else None,
                p95_latency_ms=p95(histogram, int(successes)),
                last_used=_iso(last_ts),
            )
        return figures

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        """What reached each provider (or model) since each query's start: all of them in one
        statement, one round trip."""
        if not queries:
            return []
        columns: list[list[Any]] = [[], [], [], [], []]
        for q in queries:
            first_minute = math.ceil(q.since_epoch / 60)
            values = (
                q.provider,
                q.model,
                first_minute,
                _datetime(iso_utc(q.since_epoch)),  # to the millisecond, as rows are stamped
                _datetime(iso_utc(first_minute * 60.0)),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        with self._errors("cannot count budgets"), self._connection() as db:
            rows = db.execute(COUNT_WINDOWS, columns).fetchall()
        found = []
        for _, requests, tokens, oldest_minute, edge_requests, edge_tokens, edge_oldest in rows:
            # A minute bucket's requests were made before its end; the edge rows are exact.
            oldest = (oldest_minute + 1) * 60.0 if oldest_minute is not None else None
            if edge_oldest is not None:
                oldest = edge_oldest.timestamp()
            found.append(WindowUsage(int(requests + edge_requests), int(tokens + edge_tokens), oldest))
        return found

    def cool_down(self, cooldown: Cooldown) -> None:
        """Keep ``cooldown.provider`` (or one model of it) uncalled until ``until_epoch``; a
        cool-down already set for the same provider and model that ends later is kept."""
        with self._errors("could not record a cool-down"), self._connection() as db:
            db.execute(
                UPSERT_COOLDOWN,
                (cooldown.provider, cooldown.model or "", cooldown.until_epoch, cooldown.reason),
            )

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]:
        """The cool-downs that end after ``now_epoch``."""
        with self._errors("cannot read cool-downs"), self._connection() as db:
            rows = db.execute(ACTIVE_COOLDOWNS, (now_epoch,)).fetchall()
        return [Cooldown(provider, model or None, until, reason) for provider, model, until, reason in rows]

    def rate_limits(self) -> list[RateLimitSeen]:
        """The latest rate-limit header values seen, per provider, model and header."""
        with self._errors("cannot read rate limits"), self._connection() as db:
            rows = db.execute(RATE_LIMITS).fetchall()
        return [
            RateLimitSeen(provider, model, RateLimitValue(name, limit, remaining), _iso(ts))
            for provider, model, name, limit, remaining, ts in rows
        ]

    def count(self) -> int:
        """The number of attempts recorded."""
        with self._errors("cannot be read"), self._connection() as db:
            (n,) = db.execute("SELECT COUNT(*) FROM provider_usage").fetchone() or (0,)
        return int(n)
