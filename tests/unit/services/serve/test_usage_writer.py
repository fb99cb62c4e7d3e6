"""The usage writer: rows queued off the request path, stored in batches by one task, every one
of them stored by close()."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.core.usage import Cooldown, UsageRecord
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.serve.usage_writer import BATCH, UsageWriter


def row(n: int) -> UsageRecord:
    return UsageRecord("alpha", f"m{n}", "chat", float(n), True, ts="2026-11-25T10:00:00.000Z")


class Recording:
    """A store that remembers its batches and can be held shut or made to fail."""

    def __init__(self, fail: int = 0) -> None:
        self.batches: list[list[UsageRecord]] = []
        self.cooldowns_set: list[Cooldown] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = fail

    def record(self, records: Sequence[UsageRecord]) -> None:
        self.gate.wait(5)
        if self.fail:
            self.fail -= 1
            raise UsageStoreError("database is locked")
        self.batches.append(list(records))

    def cool_down(self, cooldown: Cooldown) -> None:
        self.cooldowns_set.append(cooldown)

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]:
        return []


def test_close_stores_every_row_queued_in_a_real_database(tmp_path: Path) -> None:
    db = tmp_path / "usage.db"

    async def main() -> None:
        with UsageStore(db) as store:
            writer = UsageWriter(store)
            writer.start()
            for n in range(1234):
                writer.add(row(n))
            writer.add_cooldown(Cooldown("alpha", None, 2e9, "HTTP 429"))
            await writer.close()
            assert writer.written == 1234 and writer.lost == 0

    asyncio.run(main())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT model) FROM provider_usage").fetchone() == (
            1234,
            1234,
        )
        assert conn.execute("SELECT provider, model FROM cooldown").fetchall() == [("alpha", "")]


def test_rows_queued_while_a_batch_is_stored_go_in_the_next_batch() -> None:
    sink = Recording()

    async def main() -> None:
        writer = UsageWriter(sink)
        writer.start()
        sink.gate.clear()
        writer.add(row(0))
        while writer.backlog:  # until the writer holds row 0 and waits on the store
            await asyncio.sleep(0.005)
        for n in range(1, BATCH + 3):
            writer.add(row(n))
        sink.gate.set()
        await writer.close()

    asyncio.run(main())
    assert [len(b) for b in sink.batches] == [1, BATCH, 2]
    assert [r.model for b in sink.batches for r in b] == [f"m{n}" for n in range(BATCH + 3)]


def test_rows_gather_into_one_batch_until_the_writer_is_hurried() -> None:
    sink = Recording()

    async def main() -> tuple[bool, list[int]]:
        writer = UsageWriter(sink, gather_s=60)  # only a hurry ends a batch's gathering here
        writer.start()
        writer.add(row(0))
        await asyncio.sleep(0.05)  # the writer woke and gathers
        for n in range(1, 4):
            writer.add(row(n))
        await asyncio.sleep(0.05)
        gathered = [len(b) for b in sink.batches]  # nothing stored yet
        number = writer.add(row(4))
        stored = await writer.stored(number, 5)  # a request waiting for its row hurries the batch
        writer.add(row(5))
        writer.add(row(6))
        await writer.close()  # and so does stopping
        return stored and not gathered, [len(b) for b in sink.batches]

    assert asyncio.run(main()) == (True, [5, 2])


def test_a_full_batch_is_stored_without_gathering_longer() -> None:
    sink = Recording()

    async def main() -> None:
        writer = UsageWriter(sink, gather_s=60)
        writer.start()
        writer.add(row(0))
        await asyncio.sleep(0.05)
        for n in range(1, BATCH):
            writer.add(row(n))
        await asyncio.wait_for(writer.flush(), 5)
        await writer.close()

    asyncio.run(main())
    assert [len(b) for b in sink.batches] == [BATCH]


def test_requests_wait_for_room_while_the_backlog_is_full() -> None:
    sink = Recording()

    async def main() -> None:
        writer = UsageWriter(sink, limit=3, gather_s=0.001)  # the first row is in the store at once
        writer.start()
        sink.gate.clear()
        writer.add(row(0))
        await asyncio.sleep(0.05)
        for n in range(1, 4):
            writer.add(row(n))
        waiting = asyncio.create_task(writer.room())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the backlog is at its limit
        sink.gate.set()
        await asyncio.wait_for(waiting, 5)
        await writer.close()

    asyncio.run(main())
    assert sum(len(b) for b in sink.batches) == 4


def test_a_failing_store_is_retried_and_then_reported() -> None:
    reports: list[str] = []
    flaky, broken = Recording(fail=2), Recording(fail=99)

    async def main() -> None:
        for sink in (flaky, broken):
            writer = UsageWriter(sink, retry_delay_s=0.001, report=reports.append)
            writer.start()
            writer.add(row(1))
            await writer.close()

    asyncio.run(main())
    assert [len(b) for b in flaky.batches] == [1]
    assert broken.batches == []
    assert reports[-1] == "1 usage row(s) could not be recorded: database is locked"


class Outage(Recording):
    """A store that is away until ``back`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.back = threading.Event()
        self.tries = 0

    def record(self, records: Sequence[UsageRecord]) -> None:
        self.tries += 1
        if not self.back.is_set():
            raise UsageStoreError("the usage database postgresql://db/u cannot be reached: refused")
        super().record(records)


def test_rows_wait_through_an_outage_and_are_written_when_the_store_is_back() -> None:
    sink, reports = Outage(), []
    settled: list[UsageRecord] = []

    class Told:
        def queued(self, record: UsageRecord) -> None:
            pass

        def settled(self, records: Sequence[UsageRecord]) -> None:
            settled.extend(records)

    async def main() -> None:
        writer = UsageWriter(sink, retry_delay_s=0.01, report=reports.append, listener=Told())
        writer.start()
        for n in range(5):
            writer.add(row(n))
        while sink.tries < 3:
            await asyncio.sleep(0.01)
        assert not writer.health.reachable and writer.backlog == 5 and writer.lost == 0
        assert settled == []
        await asyncio.wait_for(writer.room(), 1)  # requests do not wait on a store that is away
        sink.back.set()
        await asyncio.wait_for(writer.flush(), 10)
        assert writer.health.reachable and writer.written == 5
        await writer.close()

    asyncio.run(main())
    assert [r.model for b in sink.batches for r in b] == [f"m{n}" for n in range(5)]
    assert [r.model for r in settled] == [f"m{n}" for n in range(5)]
    assert len(reports) == 2  # once gone, once back: not once per try
    assert reports == [
        "the usage database postgresql://db/u cannot be reached: refused: routing goes on with budgets "
        "and cool-downs from memory, and usage rows wait in memory until the usage database is back",
        "the usage database answers again: budgets are counted in it, the rows kept are stored",
    ]


def test_past_its_limit_during_an_outage_the_oldest_rows_are_given_up() -> None:
    sink, reports = Outage(), []

    async def main() -> None:
        writer = UsageWriter(sink, limit=3, retry_delay_s=0.01, report=reports.append)
        writer.start()
        writer.add(row(0))
        while writer.health.reachable:
            await asyncio.sleep(0.01)
        for n in range(1, 7):
            writer.add(row(n))
        assert writer.backlog == 3 and writer.lost == 4
        sink.back.set()
        await asyncio.wait_for(writer.flush(), 10)
        await writer.close()
        assert writer.written == 3

    asyncio.run(main())
    assert [r.model for b in sink.batches for r in b] == ["m4", "m5", "m6"]
    full = [r for r in reports if "queue is full" in r]
    assert full == [
        "the usage queue is full (3 rows) while the usage database is away: the oldest rows are "
        "given up until it is back"
    ]


def test_closing_during_an_outage_gives_up_after_a_few_tries_and_says_how_many_rows() -> None:
    sink, reports = Outage(), []

    async def main() -> None:
        writer = UsageWriter(sink, retry_delay_s=0.001, report=reports.append)
        writer.start()
        for n in range(4):
            writer.add(row(n))
        await asyncio.wait_for(writer.close(), 10)
        assert writer.lost == 4 and writer.written == 0

    asyncio.run(main())
    assert reports[-1] == (
        "4 usage row(s) could not be recorded: "
        "the usage database postgresql://db/u cannot be reached: refused"
    )


def test_a_row_can_be_waited_for_until_it_is_stored_but_not_while_the_store_is_away() -> None:
    sink = Outage()

    async def main() -> None:
        writer = UsageWriter(sink, retry_delay_s=0.01)
        writer.start()
        sink.back.set()
        sink.gate.clear()  # the store is slow
        number = writer.add(row(1))
        waiting = asyncio.create_task(writer.stored(number, 5))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        sink.gate.set()
        assert await waiting is True
        assert await writer.stored(number, 5) is True  # already stored: at once
        sink.back.clear()  # the store goes away
        later = writer.add(row(2))
        assert await asyncio.wait_for(writer.stored(later, 5), 2) is False  # not waited for
        assert not writer.health.reachable
        sink.gate.clear()
        sink.back.set()
        third = writer.add(row(3))
        assert await writer.stored(third, 0.05) is False  # not stored in time
        sink.gate.set()
        await writer.close()

    asyncio.run(main())
    assert [r.model for b in sink.batches for r in b] == ["m1", "m2", "m3"]
