"""The gateway's view of the usage store it shares with other routers: budget counts that include
what this process has not stored yet, and what it knows while the store cannot be reached.

- **Budgets.** :meth:`SharedState.count_windows` (what the router counts budgets with) asks the
  store, every time: another process's calls count as soon as they are stored. To the store's
  counts it adds this process's attempts still waiting in the usage writer and its calls in
  flight, so one gateway never overshoots a budget, and the fleet as a whole by at most the calls
  the other processes have in flight.
- **Faults.** When the store fails (the writer, a count or the cool-down refresh say so) the
  gateway goes on routing: counts come from memory (:class:`~freegin_gitops.core.local_usage.LocalUsage`:
  the store's last counts plus this process's attempts since), cool-downs from the map the
  gateway keeps, usage rows stay queued in the writer (up to its limit) and are written when the
  store answers again. :class:`StoreHealth` says which, for the log and ``/v1/freegin/status``.
- **Cool-downs** another process set are read every :data:`COOLDOWN_REFRESH_S`
  (:func:`follow_cooldowns`), which is also how the gateway finds the store back.

Counts may be asked from worker threads (a plan made off the event loop) while the loop queues
attempts, so the memory is kept under a lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from freegin_gitops.core.local_usage import InFlight, LocalUsage, MinuteCounts, plus
from freegin_gitops.core.route_plan import CooldownKey
from freegin_gitops.core.usage import Cooldown, UsageRecord, WindowQuery, WindowUsage, epoch_of
from freegin_gitops.errors import FreeginError, UsageStoreError
from freegin_gitops.services.routing.router import BudgetCounter

COOLDOWN_REFRESH_S = 0.5  # a cool-down another process set is honoured within this (+ a query)
PROBE_DEADLINE_S = 2.0  # a refresh that takes longer says the store is away


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class StoreHealth:
    """Whether the usage store answers, since when it does not, and why; it says so through
    ``report`` once when the store goes away and once when it is back, whoever notices."""

    def __init__(
        self, clock: Callable[[], float] = time.time, report: Callable[[str], None] | None = None
    ) -> None:
        self.clock = clock
        self.report = report or (lambda message: None)
        self.reachable = True
        self.down_since: float | None = None
        self.last_error: str | None = None
        self.outages = 0
        self._lock = threading.Lock()

    def failed(self, error: str) -> bool:
        """The store failed; True when it was answering until now (say so once)."""
        with self._lock:
            self.last_error = error
            if not self.reachable:
                return False
            self.reachable = False
            self.down_since = self.clock()
            self.outages += 1
        self.report(
            f"{error}: routing goes on with budgets and cool-downs from memory, and usage rows wait "
            "in memory until the usage database is back"
        )
        return True

    def answered(self) -> bool:
        """The store answered; True when it had been failing (say so once)."""
        with self._lock:
            if self.reachable:
                return False
            self.reachable = True
            self.down_since = None
        self.report("the usage database answers again: budgets are counted in it, the rows kept are stored")
        return True

    def as_json(self) -> dict[str, Any]:
        return {
            "reachable": self.reachable,
            "unreachable_since": _iso(self.down_since) if self.down_since is not None else None,
            "last_error": self.last_error,
            "outages": self.outages,
        }


class SharedState:
    """Budget counts over a shared store, this process's own usage, and the store's health."""

    def __init__(
        self,
        store: BudgetCounter,
        clock: Callable[[], float] = time.time,
        *,
        remote: bool = False,
        report: Callable[[str], None] | None = None,
    ) -> None:
        """``remote``: the store is across a network (PostgreSQL), so a count may take a while
        or hang: the gateway then plans off the event loop, with a deadline."""
        self.store = store
        self.clock = clock
        self.remote = remote
        self.health = StoreHealth(clock, report)
        self._local = LocalUsage()
        self._pending = MinuteCounts()  # queued for the writer, not stored yet
        self._in_flight = InFlight()
        self._lock = threading.Lock()

    # -- what the writer and the gateway tell it -------------------------------------------------
    @staticmethod
    def _when(record: UsageRecord, now: float) -> float:
        return epoch_of(record.ts) if record.ts is not None else now

    def queued(self, record: UsageRecord) -> None:
        """An attempt of this process, queued for the store."""
        if not record.reached:
            return
        epoch = self._when(record, self.clock())
        with self._lock:
            self._local.add(record.provider, record.model, epoch, record.tokens)
            self._pending.add(record.provider, record.model, epoch, record.tokens)

    def settled(self, records: Sequence[UsageRecord]) -> None:
        """Queued attempts that are stored now, or were given up: no longer pending."""
        now = self.clock()
        with self._lock:
            for r in records:
                if r.reached:
                    self._pending.add(r.provider, r.model, self._when(r, now), r.tokens, sign=-1)

    def call_started(self, provider: str, model: str) -> None:
        with self._lock:
            self._in_flight.start(provider, model)

    def call_ended(self, provider: str, model: str) -> None:
        with self._lock:
            self._in_flight.end(provider, model)

    # -- budget counts ---------------------------------------------------------------------------
    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        """The store's counts and this process's unstored attempts and calls in flight; from
        memory while the store is unreachable (it is not asked then: the cool-down refresh
        finds out when it is back)."""
        found: list[WindowUsage] | None = None
        if self.health.reachable:
            try:
                found = self.store.count_windows(queries)
            except UsageStoreError as exc:
                self.health.failed(str(exc))
            else:
                self.health.answered()
        now = self.clock()
        with self._lock:
            answers = []
            for i, query in enumerate(queries):
                if found is not None:
                    pending = self._pending.count(query)
                    usage = plus(found[i], pending.requests, pending.tokens, pending.oldest_epoch)
                    # Remembered with this process's unstored rows: they were made before now, so
                    # "its own attempts since" will not count them again.
                    self._local.remember(query, usage, now)
                else:
                    usage = self._local.estimate(query)
                answers.append(plus(usage, self._in_flight.requests(query), 0))
            return answers

    def remembered(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        """The counts from memory alone (what :meth:`count_windows` answers while the store is
        away), without asking it: for a plan that cannot wait for the store."""
        with self._lock:
            return [plus(self._local.estimate(q), self._in_flight.requests(q), 0) for q in queries]


class CooldownSource(Protocol):
    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]: ...


async def follow_cooldowns(
    store: CooldownSource, cooldowns: dict[CooldownKey, tuple[float, str]], health: StoreHealth
) -> None:
    """Keep ``cooldowns`` (the gateway's map) up to date with those other processes set in the
    shared store, every :data:`COOLDOWN_REFRESH_S`; the refresh also tells ``health`` whether the
    store answers (it is how a gateway finds out that a store that went away is back). Runs
    until cancelled."""
    while True:
        await asyncio.sleep(COOLDOWN_REFRESH_S)
        try:
            found = await asyncio.wait_for(
                asyncio.to_thread(store.active_cooldowns, time.time()), PROBE_DEADLINE_S
            )
        except FreeginError as exc:
            health.failed(str(exc))
            continue
        except TimeoutError:
            health.failed(f"the usage database did not answer within {PROBE_DEADLINE_S:g} s")
            continue
        health.answered()
        for c in found:
            if c.until_epoch > cooldowns.get((c.provider, c.model), (0.0, ""))[0]:
                cooldowns[(c.provider, c.model)] = (c.until_epoch, c.reason)
