"""The usage store's interface, as every store must keep it: each test runs against the SQLite
store (a real file) and the PostgreSQL store (the real server, a schema of the test's own).

What only one store has (SQLite's PRAGMAs and blobs, PostgreSQL's migration table and
connections) is tested beside it, in test_usage_db.py and test_usage_pg.py.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freegin_gitops.core.usage import (
    Cooldown,
    RateLimitSeen,
    RateLimitValue,
    UsageRecord,
    WindowQuery,
    epoch_of,
    iso_utc,
)
from freegin_gitops.core.usage_store import UsageStore
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.routing.usage_stats import open_store

Opener = Callable[[], contextlib.AbstractContextManager[UsageStore]]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: a SQLite file, or a PostgreSQL schema of this test's own."""
    if request.param == "sqlite":
        return str(tmp_path / "u.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def opened(location: str) -> Opener:
    """``with opened() as store:`` the store at ``location``, opened as every command opens it."""

    @contextlib.contextmanager
    def open_it() -> Iterator[UsageStore]:
        store = open_store(location)
        assert store is not None
        with contextlib.closing(store):
            yield store

    return open_it


@pytest.fixture
def store(opened: Opener) -> Iterator[UsageStore]:
    with opened() as store:
        yield store


def rec(latency: float, success: bool = True, key=("p", "m", "chat"), ts: str | None = None) -> UsageRecord:
    return UsageRecord(
        *key, latency_ms=latency, success=success, error_kind=None if success else "timeout", ts=ts
    )


T0 = 1_795_600_800.0  # 2026-11-25T10:00:00Z, on a minute boundary


def at(seconds: float) -> str:
    return iso_utc(T0 + seconds)


def attempt(
    model: str = "m",
    seconds: float = 0.0,
    *,
    provider: str = "p",
    success: bool = True,
    kind: str | None = None,
    status: int | None = 200,
    tokens: tuple[int | None, int | None, int | None] = (None, None, 10),
) -> UsageRecord:
    prompt, completion, total = tokens
    return UsageRecord(
        provider,
        model,
        "chat",
        100.0,
        success,
        error_kind=kind,
        status_code=status,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total,
        ts=at(seconds),
    )


# -- figures -----------------------------------------------------------------------------------


def test_a_new_store_is_empty(store: UsageStore):
    assert store.stats() == {}
    assert store.count_windows([WindowQuery("p", None, 0.0)])[0].requests == 0
    assert store.active_cooldowns(0.0) == []
    assert store.rate_limits() == []
    assert store.count_windows([]) == []
    store.record([])  # nothing to write is not an error
    assert store.stats() == {}


def test_stats_per_provider_model_workload(store: UsageStore):
    store.record([rec(100), rec(200), rec(999, success=False), rec(50, key=("q", "m", "code"))])
    stats = store.stats()
    p = stats[("p", "m", "chat")]
    assert (p.calls, p.successes, p.success_rate, p.mean_latency_ms) == (3, 2, 2 / 3, 150.0)
    assert stats[("q", "m", "code")].calls == 1
    assert set(stats) == {("p", "m", "chat"), ("q", "m", "code")}


def test_stats_add_up_over_batches_and_keep_the_latest_use(store: UsageStore):
    store.record([rec(10, ts=at(50)), rec(20, ts=at(10))])
    store.record([rec(30, ts=at(5)), rec(40, success=False, ts=at(99))])
    p = store.stats()[("p", "m", "chat")]
    assert (p.calls, p.successes, p.mean_latency_ms) == (4, 3, 20.0)
    assert p.last_used == at(99)  # a failed attempt is a use too; the latest wins, not the last written


def test_only_failures_have_no_latency_figures(store: UsageStore):
    store.record([rec(100, success=False), rec(200, success=False)])
    p = store.stats()[("p", "m", "chat")]
    assert (p.calls, p.successes, p.success_rate) == (2, 0, 0)
    assert (p.mean_latency_ms, p.p95_latency_ms) == (None, None)


def test_p95_is_within_five_percent_of_the_exact_value(store: UsageStore):
    latencies = [10 + (i * 37) % 4000 for i in range(2000)]
    store.record([rec(x) for x in latencies])
    p95 = store.stats()[("p", "m", "chat")].p95_latency_ms
    exact = sorted(latencies)[math.ceil(0.95 * len(latencies)) - 1]
    assert p95 is not None
    assert exact <= p95 <= exact * 1.05 + 1


def test_p95_counts_only_successful_calls(store: UsageStore):
    store.record([rec(10.0) for _ in range(19)] + [rec(5000.0)] + [rec(90000.0, success=False)] * 50)
    p95 = store.stats()[("p", "m", "chat")].p95_latency_ms
    assert p95 is not None and 10 <= p95 <= 10.6  # 19 of 20 successes took 10 ms


def test_a_missing_timestamp_is_the_stores_now(store: UsageStore):
    before = iso_utc(__import__("time").time() - 1)
    store.record([rec(1.0)])
    last = store.stats()[("p", "m", "chat")].last_used
    assert last is not None and last >= before and last.endswith("Z")


def test_timestamps_with_offsets_are_understood_and_bad_ones_refused(store: UsageStore):
    store.record([UsageRecord("p", "m", "chat", 1.0, True, ts="2026-11-25T10:00:30+00:00")])
    store.record([UsageRecord("p", "m", "chat", 1.0, True, ts="2026-11-25T11:00:30.5+01:00")])
    with pytest.raises(UsageStoreError, match=r"p/m has an invalid timestamp 'yesterday'"):
        store.record([rec(1.0), UsageRecord("p", "m", "chat", 1.0, True, ts="yesterday")])
    (usage,) = store.count_windows([WindowQuery("p", "m", T0 + 30)])
    assert usage.requests == 2  # the batch with a bad timestamp wrote nothing
    assert store.stats()[("p", "m", "chat")].last_used == "2026-11-25T10:00:30.500Z"


# -- cool-downs --------------------------------------------------------------------------------


def test_cooldowns_keep_the_later_deadline_and_expire(store: UsageStore):
    store.cool_down(Cooldown("p", None, 200.0, "HTTP 429, Retry-After 100s"))
    store.cool_down(Cooldown("p", None, 150.0, "HTTP 429"))
    assert store.active_cooldowns(100.0) == [Cooldown("p", None, 200.0, "HTTP 429, Retry-After 100s")]
    store.cool_down(Cooldown("p", None, 300.0, "daily quota"))
    assert store.active_cooldowns(100.0) == [Cooldown("p", None, 300.0, "daily quota")]
    assert store.active_cooldowns(299.9) == [Cooldown("p", None, 300.0, "daily quota")]
    assert store.active_cooldowns(300.0) == []


def test_a_model_cools_down_apart_from_its_provider_and_its_siblings(store: UsageStore):
    store.cool_down(Cooldown("groq", "a", 500.0, "HTTP 429 for a"))
    store.cool_down(Cooldown("groq", "b", 400.0, "HTTP 429 for b"))
    store.cool_down(Cooldown("groq", None, 200.0, "HTTP 429 for the key"))
    store.cool_down(Cooldown("groq", "a", 450.0, "earlier: ignored"))
    found = sorted(store.active_cooldowns(100.0), key=lambda c: c.until_epoch)
    assert found == [
        Cooldown("groq", None, 200.0, "HTTP 429 for the key"),
        Cooldown("groq", "b", 400.0, "HTTP 429 for b"),
        Cooldown("groq", "a", 500.0, "HTTP 429 for a"),
    ]
    assert found[2].covers("groq", "a") and not found[2].covers("groq", "b")
    assert found[0].covers("groq", "b") and not found[0].covers("cerebras", "b")


def test_a_cooldown_set_through_one_store_is_seen_through_another(opened: Opener):
    with opened() as first, opened() as second:
        first.cool_down(Cooldown("p", "m", 9e9, "HTTP 429"))
        assert second.active_cooldowns(0.0) == [Cooldown("p", "m", 9e9, "HTTP 429")]


# -- budget windows ----------------------------------------------------------------------------


def test_window_counts_only_attempts_that_reached_the_provider(store: UsageStore):
    store.record(
        [
            attempt(seconds=1),
            attempt(seconds=2, success=False, kind="rate_limited", status=429, tokens=(None, None, None)),
            attempt(seconds=3, success=False, kind="timeout", status=None, tokens=(None, None, None)),
            attempt(seconds=4, success=False, kind="connect", status=None, tokens=(None, None, None)),
            attempt(seconds=5, tokens=(30, 12, None)),
            attempt(seconds=6, tokens=(30, None, None)),
        ]
    )
    (usage,) = store.count_windows([WindowQuery("p", "m", T0)])
    assert (usage.requests, usage.tokens) == (5, 10 + 42 + 30)


def test_windows_per_model_and_per_provider_start_where_asked(store: UsageStore):
    store.record(
        [
            attempt("a", -0.001),  # just before the window
            attempt("a", 0),  # at its start: counted
            attempt("a", 59.999),
            attempt("b", 30.5),
            attempt("a", 3600),
            attempt("a", 10, provider="q"),
        ]
    )
    counts = store.count_windows(
        [
            WindowQuery("p", "a", T0),
            WindowQuery("p", None, T0),
            WindowQuery("p", "b", T0 + 30.5),
            WindowQuery("p", "b", T0 + 30.501),
            WindowQuery("p", None, T0 + 3600),
            WindowQuery("q", None, T0 - 86400),
            WindowQuery("nobody", None, T0),
        ]
    )
    assert [(c.requests, c.tokens) for c in counts] == [
        (3, 30),
        (4, 40),
        (1, 10),
        (0, 0),
        (1, 10),
        (1, 10),
        (0, 0),
    ]
    assert counts[-1].oldest_epoch is None


def test_a_window_starting_inside_a_minute_counts_that_minute_exactly(store: UsageStore):
    store.record([attempt(seconds=s) for s in (60, 75, 80, 95, 119, 120, 130)])
    inside, later = store.count_windows([WindowQuery("p", "m", T0 + 80), WindowQuery("p", None, T0 + 96)])
    assert (inside.requests, inside.oldest_epoch) == (5, T0 + 80)  # 80, 95, 119 from the rows; 120, 130
    assert later.requests == 3
    assert later.oldest_epoch == T0 + 119


def test_the_oldest_request_of_a_window_is_bounded_by_the_end_of_its_minute(store: UsageStore):
    store.record([attempt(seconds=s) for s in (125, 170)])
    (usage,) = store.count_windows([WindowQuery("p", "m", T0 + 60)])
    assert usage.requests == 2
    # exact (SQLite), or no later than the end of the oldest request's minute (PostgreSQL)
    assert usage.oldest_epoch is not None and T0 + 125 <= usage.oldest_epoch <= T0 + 180


def test_window_counts_agree_with_counting_every_row(store: UsageStore):
    rng = random.Random(14)
    records = [
        attempt(
            rng.choice("ab"),
            rng.uniform(-7200, 7200),
            provider=rng.choice(("p", "q")),
            success=(ok := rng.random() < 0.7),
            kind=None if ok else rng.choice(("connect", "timeout", "rate_limited")),
            tokens=(rng.randint(0, 50), rng.randint(0, 50), rng.choice((None, rng.randint(0, 99)))),
        )
        for _ in range(600)
    ]
    queries = [
        WindowQuery(rng.choice(("p", "q")), rng.choice(("a", "b", None)), T0 + rng.uniform(-7300, 7300))
        for _ in range(60)
    ]
    for start in range(0, len(records), 97):  # in batches, as writers write
        store.record(records[start : start + 97])
    counts = store.count_windows(queries)
    for query, usage in zip(queries, counts, strict=True):
        inside = [
            r
            for r in records
            if r.provider == query.provider
            and query.model in (None, r.model)
            and r.reached
            and r.ts is not None
            and r.ts >= iso_utc(query.since_epoch)
        ]
        assert (usage.requests, usage.tokens) == (len(inside), sum(r.tokens for r in inside)), query
        if inside:
            oldest = min(epoch_of(r.ts) for r in inside if r.ts)
            assert usage.oldest_epoch is not None
            assert oldest <= usage.oldest_epoch <= (oldest // 60 + 1) * 60
        else:
            assert usage.oldest_epoch is None


# -- rate-limit headers ------------------------------------------------------------------------


def test_rate_limit_headers_keep_the_latest_value_per_model_and_header(store: UsageStore):
    def seen(seconds: float, limit: int, remaining: int, model: str = "m") -> UsageRecord:
        values = (RateLimitValue("requests", limit, remaining), RateLimitValue("tokens", 6000, None))
        return UsageRecord("p", model, "chat", 1.0, True, ts=at(seconds), rate_limits=values)

    store.record([seen(10, 14400, 14399), seen(20, 14400, 14398), seen(5, 1000, 1), seen(1, 30, 29, "n")])
    store.record([seen(15, 7, 7)])  # older than what is kept: ignored
    assert store.rate_limits() == [
        RateLimitSeen("p", "m", RateLimitValue("requests", 14400, 14398), at(20)),
        RateLimitSeen("p", "m", RateLimitValue("tokens", 6000, None), at(20)),
        RateLimitSeen("p", "n", RateLimitValue("requests", 30, 29), at(1)),
        RateLimitSeen("p", "n", RateLimitValue("tokens", 6000, None), at(1)),
    ]
    store.record([seen(20, 500, 499)])  # as recent: the newer write wins
    assert store.rate_limits()[0].value == RateLimitValue("requests", 500, 499)


def test_a_bare_rate_limit_header_is_kept_under_an_empty_name(store: UsageStore):
    record = UsageRecord("p", "m", "chat", 1.0, True, ts=at(0), rate_limits=(RateLimitValue("", 60, None),))
    store.record([record])
    assert store.rate_limits() == [RateLimitSeen("p", "m", RateLimitValue("", 60, None), at(0))]


# -- many writers ------------------------------------------------------------------------------


SHARED = ("shared", "m", "chat")  # every writer adds to the same figures: they must not deadlock


def _writer(location: str, worker: int, rows: int) -> None:
    store = open_store(location)
    assert store is not None
    with contextlib.closing(store):
        for i in range(rows):
            store.record([rec(float(i), key=(f"p{worker}", "m", "chat")), rec(1.0, key=SHARED)])


def test_several_processes_writing_at_once_lose_no_row(location: str):
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(location, w, 100)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    store = open_store(location)
    assert store is not None
    with contextlib.closing(store):
        stats = store.stats()
        (shared,) = store.count_windows([WindowQuery("shared", None, 0.0)])
    assert [stats[(f"p{w}", "m", "chat")].calls for w in range(4)] == [100] * 4
    assert stats[SHARED].calls == shared.requests == 400
