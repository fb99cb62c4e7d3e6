"""Usage recorded off the request path: attempts go into a queue in memory, and one writer task
stores them in batches (one transaction per batch, in a worker thread), so a request never waits
for the database. Once woken by a row, the writer gathers rows for up to :data:`GATHER_S` before
it stores them (unless a request waits for its row to be stored, or the gateway is stopping): a
transaction and a thread hop per batch instead of per row, which was a fifth of the gateway's CPU
under load. A batch costs the gateway about half a millisecond of CPU however few rows it holds
(the thread hop, the wake-ups of an idle process, the transaction), so the window is long enough
for light traffic to share one: measured with one client at a time
(``benchmarks/gateway_ab.py``: gateways differing only in the window, in interleaved rounds),
a 20 ms window cost 1.31 ms of CPU a request and 1.11 ms added latency, 100 ms 0.82 ms and
0.80 ms, no usage rows at all 0.66 ms and 0.59 ms. A longer window delays nothing a request
waits for: an answer whose budget counts hurries its batch, and the gateway's own counts include
the rows not stored yet. What it bounds is what a gateway killed without warning (SIGKILL, a
power cut) can lose. :meth:`UsageWriter.close` stores everything queued before it returns: a
gateway that stops loses no row.

The queue is bounded at admission: a request waits in :meth:`UsageWriter.room` while the backlog
is over its limit (the database is slower than the traffic), and the rows of the requests already
admitted are always taken, so recording can never fail or block inside a request.

When the store fails (a database that went away), the rows stay queued and the writer tries again,
a little later each time (up to :data:`MAX_RETRY_DELAY_S`), until it answers: the gateway goes on
routing meanwhile, and requests no longer wait for room. Past the limit the oldest rows are given
up (counted in ``lost``, said once per outage). It says once that the store is gone and once that
it is back, through ``report``; ``health`` (a
:class:`~freegin_gitops.services.serve.shared_state.StoreHealth`) is where the rest of the gateway
reads it. On close the writer tries :data:`CLOSE_TRIES` times
more, then reports the rows it could not store.

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
from freegin_gitops.services.serve.shared_state import StoreHealth

BATCH = 500
GATHER_S = 0.1  # how long a batch gathers rows before it is stored
MAX_RETRY_DELAY_S = 5.0
CLOSE_TRIES = 3


class UsageSink(Protocol):
    """What the writer needs of a usage store."""

    def record(self, records: Sequence[UsageRecord]) -> None: ...

    def cool_down(self, cooldown: Cooldown) -> None: ...

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]: ...

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]: ...


class UsageListener(Protocol):
    """Told of each row queued and of rows settled (stored or given up): the gateway's budget
    counts add the rows that are not stored yet."""

    def queued(self, record: UsageRecord) -> None: ...

    def settled(self, records: Sequence[UsageRecord]) -> None: ...


class UsageWriter:
    """A bounded queue of usage rows and cool-downs, and the one task that stores them."""

    def __init__(
        self,
        sink: UsageSink,
        limit: int = 10_000,
        retry_delay_s: float = 0.2,
        report: Callable[[str], None] | None = None,
        health: StoreHealth | None = None,
        listener: UsageListener | None = None,
        gather_s: float = GATHER_S,
    ) -> None:
        self.sink = sink
        self.report = report or (lambda message: None)
        self.health = health if health is not None else StoreHealth(report=self.report)
        self.listener = listener
        self.limit = limit
        self.retry_delay_s = retry_delay_s
        self.gather_s = gather_s
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
        self._added = 0  # rows ever queued; they are settled (stored or given up) in this order
        self._settled = 0
        self._progress = asyncio.Condition()
        self._overflowed = False  # said that rows are given up, this outage
        self._gathering: asyncio.Future[None] | None = None  # done when the batch should go now
        self._hurried = 0  # requests waiting for their row to be stored

    @property
    def backlog(self) -> int:
        return len(self._rows)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="freegin-usage-writer")

    def add(self, record: UsageRecord) -> int:
        """Queue one row (never blocks, never fails); its number, for :meth:`stored`."""
        self._added += 1
        self._rows.append(record)
        if self.listener is not None:
            self.listener.queued(record)
        if len(self._rows) >= self.limit:
            if self.health.reachable:
                self._room.clear()
            else:
                self._give_up_oldest()
        if len(self._rows) >= min(BATCH, self.limit):
            self._hurry()
        self._idle.clear()
        self._wake.set()
        return self._added

    def add_cooldown(self, cooldown: Cooldown) -> None:
        self._cooldowns.append(cooldown)
        self._idle.clear()
        self._wake.set()

    async def room(self) -> None:
        """Wait while the backlog is over the limit (not while the store is away: routing goes
        on, and the oldest rows are given up instead)."""
        while len(self._rows) >= self.limit and not self._closing and self.health.reachable:
            await self._room.wait()

    def _settle(self, rows: list[UsageRecord]) -> None:
        self._settled += len(rows)
        if self.listener is not None:
            self.listener.settled(rows)

    async def _tell_progress(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    async def stored(self, number: int, timeout_s: float) -> bool:
        """Wait (at most ``timeout_s``) until the row :meth:`add` numbered ``number`` is stored
        (or given up); False at once while the store is away, or when the time is up. A gateway
        answers a call to a candidate with a budget only once its row counts for the other
        gateways too."""

        async def settled() -> None:
            async with self._progress:
                await self._progress.wait_for(lambda: self._settled >= number or not self.health.reachable)

        if self._settled >= number:
            return True
        if not self.health.reachable:
            return False
        self._hurried += 1
        self._hurry()
        try:
            await asyncio.wait_for(settled(), timeout_s)
        except TimeoutError:
            return False
        finally:
            self._hurried -= 1
        return self._settled >= number

    def _hurry(self) -> None:
        """Store the batch being gathered now."""
        gathering = self._gathering
        if gathering is not None and not gathering.done():
            gathering.set_result(None)

    async def _gather(self) -> None:
        """Let rows gather for ``gather_s`` (less when hurried)."""
        if self._closing or self._hurried or len(self._rows) >= min(BATCH, self.limit):
            return
        loop = asyncio.get_running_loop()
        self._gathering = gathering = loop.create_future()
        timer = loop.call_later(self.gather_s, self._hurry)
        try:
            await gathering
        finally:
            timer.cancel()
            self._gathering = None

    def _give_up_oldest(self) -> None:
        excess = len(self._rows) - self.limit
        if excess <= 0:
            return
        dropped = [self._rows.popleft() for _ in range(excess)]
        self.lost += len(dropped)
        self._settle(dropped)
        if not self._overflowed:
            self._overflowed = True
            self.report(
                f"the usage queue is full ({self.limit:,} rows) while the usage database is away: "
                "the oldest rows are given up until it is back"
            )

    async def _store(self, rows: list[UsageRecord], cooldowns: list[Cooldown]) -> bool:
        """Store one batch; False (everything put back in the queue, in order) when the store
        fails."""
        try:
            if rows:
                await asyncio.to_thread(self.sink.record, rows)
                rows_done, rows = rows, []
                self.written += len(rows_done)
                self._settle(rows_done)
                await self._tell_progress()
            while cooldowns:
                await asyncio.to_thread(self.sink.cool_down, cooldowns[0])
                cooldowns.pop(0)
        except UsageStoreError as exc:
            self._rows.extendleft(reversed(rows))
            self._cooldowns.extendleft(reversed(cooldowns))
            self.health.failed(str(exc))
            self._room.set()  # requests waiting for room go on: the store is away
            await self._tell_progress()  # and so do those waiting for their row
            return False
        self.health.answered()
        self._overflowed = False  # a later outage says again when it gives rows up
        return True

    async def _run(self) -> None:
        delay = self.retry_delay_s
        tries_left = CLOSE_TRIES
        while True:
            if not self._rows and not self._cooldowns:
                self._idle.set()
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._gather()
            rows = [self._rows.popleft() for _ in range(min(BATCH, len(self._rows)))]
            cooldowns = list(self._cooldowns)
            self._cooldowns.clear()
            if await self._store(rows, cooldowns):
                delay = self.retry_delay_s
            else:
                if self._closing:
                    tries_left -= 1
                    if tries_left <= 0:
                        self._abandon()
                        return
                await asyncio.sleep(delay)  # an outage: try again, less often the longer it lasts
                delay = min(MAX_RETRY_DELAY_S, delay * 2)
            if len(self._rows) < self.limit:
                self._room.set()  # let waiting requests in

    def _abandon(self) -> None:
        """Closing with a store that does not answer: the rows left are lost, and said so."""
        left = list(self._rows)
        self._rows.clear()
        self._cooldowns.clear()
        self.lost += len(left)
        self._settle(left)
        self.report(f"{len(left)} usage row(s) could not be recorded: {self.health.last_error}")
        self._idle.set()

    async def flush(self) -> None:
        """Wait until everything queued so far is stored."""
        await self._idle.wait()

    async def close(self) -> None:
        """Store everything queued, then stop the writer."""
        self._closing = True
        self._room.set()
        self._wake.set()
        self._hurry()
        if self._task is not None:
            await self._task
