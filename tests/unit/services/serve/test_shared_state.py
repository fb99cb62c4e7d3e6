"""The gateway's budget counts over a shared store: the store's counts, plus this process's
attempts not stored yet and its calls in flight; from memory while the store is away."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.core.usage import UsageRecord, WindowQuery, WindowUsage, iso_utc
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.serve.shared_state import SharedState

T0 = 1_795_600_800.0
DAY = WindowQuery("p", "m", T0)
PROVIDER_DAY = WindowQuery("p", None, T0)


class Switchable:
    """A real SQLite store that can be made unreachable."""

    def __init__(self, path: Path) -> None:
        self.real = SqliteUsageStore(path)
        self.away = False
        self.asked = 0

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        self.asked += 1
        if self.away:
            raise UsageStoreError("the usage database postgresql://db/u cannot be reached: refused")
        return self.real.count_windows(queries)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def attempt(seconds: float, model: str = "m", **kw: object) -> UsageRecord:
    return UsageRecord("p", model, "chat", 10.0, kw.pop("success", True), ts=iso_utc(T0 + seconds), **kw)


@pytest.fixture
def store(tmp_path: Path) -> Switchable:
    found = Switchable(tmp_path / "u.db")
    yield found
    found.real.close()


def test_counts_are_the_stores_plus_what_is_queued_and_in_flight(store: Switchable):
    shared = SharedState(store, clock=lambda: T0 + 600)
    stored = [attempt(1, total_tokens=5), attempt(2, total_tokens=5)]
    store.real.record(stored)  # by another process
    queued = attempt(3, total_tokens=7)
    shared.queued(queued)  # this process's, not stored yet
    shared.call_started("p", "m")
    shared.call_started("p", "other")
    day, provider = shared.count_windows([DAY, PROVIDER_DAY])
    assert (day.requests, day.tokens) == (2 + 1 + 1, 17)
    assert provider.requests == 2 + 1 + 2
    store.real.record([queued])  # the writer stores it ...
    shared.settled([queued])  # ... and says so: it is not counted twice
    shared.call_ended("p", "m")
    shared.call_ended("p", "other")
    assert shared.count_windows([DAY])[0].requests == 3


def test_attempts_that_never_reached_the_provider_do_not_count(store: Switchable):
    shared = SharedState(store, clock=lambda: T0 + 600)
    shared.queued(attempt(1, success=False, error_kind="connect"))
    assert shared.count_windows([DAY])[0].requests == 0


def test_while_the_store_is_away_counts_come_from_memory_and_it_is_not_asked(store: Switchable):
    now = [T0 + 600]
    shared = SharedState(store, clock=lambda: now[0])
    store.real.record([attempt(s) for s in range(4)])  # another process's four
    assert shared.count_windows([DAY])[0].requests == 4  # remembered
    store.away = True
    now[0] += 60
    shared.queued(attempt(661))  # this process goes on calling
    assert shared.count_windows([DAY])[0].requests == 5  # 4 remembered + 1 own
    assert not shared.health.reachable
    assert shared.health.last_error == "the usage database postgresql://db/u cannot be reached: refused"
    asked = store.asked
    assert shared.count_windows([DAY])[0].requests == 5
    assert store.asked == asked  # not asked again while away: the refresher finds out when it is back
    store.away = False
    assert shared.health.answered()  # (what the cool-down refresh says when it gets an answer)
    store.real.record([attempt(661)])
    shared.settled([attempt(661)])
    assert shared.count_windows([DAY])[0].requests == 5
    assert shared.health.outages == 1


def test_the_remembered_counts_alone_do_not_ask_the_store(store: Switchable):
    shared = SharedState(store, clock=lambda: T0 + 600)
    store.real.record([attempt(1)])
    shared.count_windows([DAY])
    shared.call_started("p", "m")
    asked = store.asked
    assert shared.remembered([DAY])[0].requests == 2
    assert store.asked == asked


def test_rows_not_stored_when_the_store_was_last_asked_still_count_while_it_is_away(store: Switchable):
    now = [T0 + 600]
    shared = SharedState(store, clock=lambda: now[0])
    shared.queued(attempt(590))  # made, still waiting in the writer
    assert shared.count_windows([DAY])[0].requests == 1
    store.away = True
    now[0] += 5
    assert shared.count_windows([DAY])[0].requests == 1
