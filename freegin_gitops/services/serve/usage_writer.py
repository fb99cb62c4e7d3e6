"""Usage recorded off the request path: attempts go into a queue in memory, and one writer task
stores them in batches (one transaction per batch, in a worker thread), so a request never waits
for the database. :meth:`UsageWriter.close` stores everything queued before it returns: a gateway
that stops loses no row.

The queue is bounded at admission: a request waits in :meth:`UsageWriter.room` while the backlog
is over its limit (the database is slower than the traffic), and the rows of the requests already
admitted are always taken, so recording can never fail or block inside a request.

The writer talks to the usage store only through :class:`UsageSink`, the store's interface, so
any store behind it (SQLite, PostgreSQL) works the same.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from freegin_gitops.core.usage import Cooldown, UsageRecord, WindowQuery, WindowUsage
from freegin_gitops.errors import UsageStoreError

BATCH = 500
RETRIES = 5


class UsageSink(Protocol):
    """What the writer needs of a usage store."""

    def record(self, records: Sequence[UsageRecord]) -> None: ...

    def cool_down(self, cooldown: Cooldown) -> None: ...

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]: ...

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]: ...


class UsageWriter:
    """A bounded queue of usage rows and cool-downs, and the one task that stores them."""

    def __init__(
        self,
        sink: UsageSink,
        limit: int = 10_000,
        retry_delay_s: float = 0.2,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.sink = sink
        self.report = report or (lambda message: None)
        self.limit = limit
        self.retry_delay_s = retry_delay_s
        self._rows: deque[UsageRecord] = deque()
        self._cooldowns: deque[Cooldown] = deque()
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # set while the backlog is under the limit
        self._room.set()
        self._idle = asyncio.Event()  # set while nothing is queued or being stored
        self._idle.set()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.lost = 0

    @property
    def backlog(self) -> int:
        return len(self._rows)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="freegin-usage-writer")

    def add(self, record: UsageRecord) -> None:
        """Queue one row (never blocks, never fails)."""
        self._rows.append(record)
        if len(self._rows) >= self.limit:
            self._room.clear()
        self._idle.clear()
        self._wake.set()

    def add_cooldown(self, cooldown: Cooldown) -> None:
        self._cooldowns.append(cooldown)
        self._idle.clear()
        self._wake.set()

    async def room(self) -> None:
        """Wait while the backlog is over the limit."""
        while len(self._rows) >= self.limit and not self._closing:
            await self._room.wait()

    async def _store(self, rows: list[UsageRecord], cooldowns: list[Cooldown]) -> None:
        for attempt in range(1, RETRIES + 1):
            try:
                if rows:
                    await asyncio.to_thread(self.sink.record, rows)
                for c in cooldowns:
                    await asyncio.to_thread(self.sink.cool_down, c)
            except UsageStoreError as exc:
                if attempt == RETRIES:
                    self.lost += len(rows)
                    self.report(f"{len(rows)} usage row(s) could not be recorded: {exc}")
                    return
                self.report(f"recording usage failed (try {attempt} of {RETRIES}): {exc}")
                await asyncio.sleep(self.retry_delay_s * attempt)
            else:
                self.written += len(rows)
                return

    async def _run(self) -> None:
        while True:
            if not self._rows and not self._cooldowns:
                self._idle.set()
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            rows = [self._rows.popleft() for _ in range(min(BATCH, len(self._rows)))]
            cooldowns = list(self._cooldowns)
            self._cooldowns.clear()
            await self._store(rows, cooldowns)
            if len(self._rows) < self.limit:
                self._room.set()  # let waiting requests in

    async def flush(self) -> None:
        """Wait until everything queued so far is stored."""
        await self._idle.wait()

    async def close(self) -> None:
        """Store everything queued, then stop the writer."""
        self._closing = True
        self._room.set()
        self._wake.set()
        if self._task is not None:
            await self._task
