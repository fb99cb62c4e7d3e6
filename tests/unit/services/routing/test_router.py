"""The router over ``httpx.MockTransport`` with an injected clock and timer: calls in plan order,
falls back, cools a provider down after a 429 and lets it back when the cool-down ends, keeps to
``routing.max_attempts``, records every attempt in a real SQLite file, sends keys only in the
``Authorization`` header."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.core.compiled_catalog import Candidate
from freegin_gitops.core.route_attempts import Cooldown as RouteCooldown
from freegin_gitops.core.usage import Cooldown, UsageRecord, iso_utc
from freegin_gitops.errors import NoCandidateAnswered
from freegin_gitops.services.routing.router import Router
from tests.support.compiled import api, compiled_catalog

NOW = 1_800_000_000.0
KEY = "sk-router-unit-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "hello"}]

# alpha's key has a shared budget: a 429 cools down all of alpha (the others cool a model down)
CATALOG = compiled_catalog(
    {
        "alpha": api("http://alpha.test/v1", key_env="ALPHA_KEY", headers={"X-Title": "freegin-ai"}),
        "beta": api("http://beta.test/v1"),
        "gamma": api("http://gamma.test/v1"),
    },
    [("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("gamma", "g1")],
    max_attempts=3,
    limits={"alpha": {"requests_per_day": 1000}},
)

Handler = Callable[[httpx.Request], httpx.Response]


def answer(text: str = "hi there") -> httpx.Response:
    body = {
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    return httpx.Response(200, json=body)


class Clock:
    """Wall time for cool-downs and a timer for latency, both moved by the test."""

    def __init__(self) -> None:
        self.now = NOW
        self.ticks = 0.0

    def time(self) -> float:
        return self.now

    def timer(self) -> float:
        self.ticks += 0.25  # every reading 250 ms later: a call takes 250 ms
        return self.ticks


class Wire:
    """The mock transport's side: scripted replies per host, and the requests seen."""

    def __init__(self) -> None:
        self.replies: dict[str, list[httpx.Response]] = {}
        self.requests: list[httpx.Request] = []

    def script(self, host: str, *replies: httpx.Response) -> None:
        self.replies.setdefault(host, []).extend(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.replies.get(request.url.host, [])
        return queue.pop(0) if queue else answer(f"from {request.url.host}")

    def models(self) -> list[str]:
        return [json.loads(r.content)["model"] for r in self.requests]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UsageStore]:
    with UsageStore(tmp_path / "usage.db") as opened:
        yield opened


def router(
    wire: Wire, clock: Clock, store: UsageStore | None, environ: dict[str, str] | None = None
) -> Router:
    client = httpx.Client(transport=httpx.MockTransport(wire))
    env = {"ALPHA_KEY": KEY} if environ is None else environ
    return Router(CATALOG, environ=env, usage=store, client=client, clock=clock.time, timer=clock.timer)


def rows(store: UsageStore) -> list[tuple[object, ...]]:
    query = (
        "SELECT provider, model, workload, latency_ms, success, error_kind, status_code FROM provider_usage"
    )
    return [tuple(r) for r in store._db.execute(query + " ORDER BY id")]


def test_the_first_candidate_answers(wire: Wire, clock: Clock, store: UsageStore) -> None:
    r = router(wire, clock, store)
    got = r.call(r.plan("chat"), MESSAGES)
    assert (got.text, got.provider, got.model, got.workload, got.latency_ms) == (
        "from alpha.test",
        "alpha",
        "a1",
        "chat",
        250.0,
    )
    assert [a.outcome for a in got.attempts] == ["answered"]
    assert rows(store) == [("alpha", "a1", "chat", 250.0, 1, None, 200)]


def test_the_key_goes_only_into_the_authorization_header(wire: Wire, clock: Clock) -> None:
    r = router(wire, clock, None)
    r.call(r.plan("chat"), MESSAGES)
    r.call(r.plan("chat", "beta"), MESSAGES)
    alpha, beta = wire.requests
    assert alpha.headers["Authorization"] == f"Bearer {KEY}" and alpha.headers["X-Title"] == "freegin-ai"
    assert KEY not in str(alpha.url) and KEY.encode() not in alpha.content
    assert "Authorization" not in beta.headers and "X-Title" not in beta.headers
    assert str(alpha.url) == "http://alpha.test/v1/chat/completions"


def test_a_429_falls_back_and_cools_the_provider_down(wire: Wire, clock: Clock, store: UsageStore) -> None:
    wire.script(
        "alpha.test", httpx.Response(429, json={"error": {"message": "slow"}}, headers={"Retry-After": "60"})
    )
    r = router(wire, clock, store)
    got = r.call(r.plan("chat"), MESSAGES)
    # a2 is alpha's too: skipped once alpha cools down, beta answers
    assert [(a.model, a.outcome) for a in got.attempts] == [
        ("a1", "failed"),
        ("a2", "skipped"),
        ("b1", "answered"),
    ]
    assert got.attempts[1].reason == "cooling down until 2027-01-15T08:01:00Z (HTTP 429, Retry-After 60s)"
    assert store.active_cooldowns(NOW) == [Cooldown("alpha", None, NOW + 60, "HTTP 429, Retry-After 60s")]
    assert [row[5] for row in rows(store)] == ["rate_limited", None]

    later = router(wire, clock, store)  # another process reads the cool-down from the store
    assert [e.skip is not None for e in later.plan("chat").entries[:2]] == [True, True]
    clock.now = NOW + 60
    fresh = router(wire, clock, store)
    assert fresh.call(fresh.plan("chat"), MESSAGES).provider == "alpha"


def test_a_429_without_retry_after_cools_down_for_30_seconds(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    wire.script("alpha.test", httpx.Response(429))
    r = router(wire, clock, store)
    r.call(r.plan("chat"), MESSAGES)
    assert r.cooldowns() == {("alpha", None): (NOW + 30, "HTTP 429")}


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(500, json={"error": {"message": "boom"}}),
        httpx.Response(503),
        httpx.Response(401),
        httpx.Response(404),
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json={"choices": []}),
    ],
)
def test_any_other_failure_moves_on_without_a_cool_down(
    wire: Wire, clock: Clock, store: UsageStore, reply: httpx.Response
) -> None:
    wire.script("alpha.test", reply)
    r = router(wire, clock, store)
    got = r.call(r.plan("chat"), MESSAGES)
    assert (got.model, [a.outcome for a in got.attempts]) == ("a2", ["failed", "answered"])
    assert r.cooldowns() == {} and store.active_cooldowns(NOW) == []


def test_a_connection_error_moves_on(clock: Clock, store: UsageStore) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "alpha.test":
            raise httpx.ConnectError("refused", request=request)
        return answer()

    client = httpx.Client(transport=httpx.MockTransport(handler))
    r = Router(
        CATALOG, environ={"ALPHA_KEY": KEY}, usage=store, client=client, clock=clock.time, timer=clock.timer
    )
    got = r.call(r.plan("chat"), MESSAGES)
    assert got.provider == "beta"
    assert [row[5] for row in rows(store)] == ["connect", "connect", None]


def test_no_more_calls_than_max_attempts(wire: Wire, clock: Clock, store: UsageStore) -> None:
    for host in ("alpha.test", "beta.test", "gamma.test"):
        wire.script(host, httpx.Response(500), httpx.Response(500))
    r = router(wire, clock, store)
    with pytest.raises(NoCandidateAnswered) as caught:
        r.call(r.plan("chat"), MESSAGES)
    assert wire.models() == ["a1", "a2", "b1"]  # max_attempts 3: gamma is not reached
    assert len(rows(store)) == 3
    assert str(caught.value).startswith("no candidate answered for workload 'chat': tried alpha/a1: server")


def test_the_failure_names_skipped_providers(wire: Wire, clock: Clock, store: UsageStore) -> None:
    wire.script("beta.test", httpx.Response(500))
    wire.script("gamma.test", httpx.Response(500))
    r = router(wire, clock, store, environ={})
    seen = []
    with pytest.raises(NoCandidateAnswered) as caught:
        r.call(r.plan("chat"), MESSAGES, on_attempt=seen.append)
    assert str(caught.value).endswith("; skipped alpha (no API key: ALPHA_KEY is not set)")
    assert [(a.provider, a.outcome) for a in seen] == [
        ("alpha", "skipped"),
        ("alpha", "skipped"),
        ("beta", "failed"),
        ("gamma", "failed"),
    ]
    assert wire.models() == ["b1", "g1"]


def test_a_provider_that_starts_cooling_during_the_call_is_skipped(wire: Wire, clock: Clock) -> None:
    r = router(wire, clock, None)
    plan = r.plan("chat")
    r.cooldowns()[("alpha", None)] = (NOW + 5, "HTTP 429")  # set by another thread after planning
    got = r.call(plan, MESSAGES)
    assert (got.provider, [a.outcome for a in got.attempts]) == ("beta", ["skipped", "skipped", "answered"])


def test_without_a_usage_store_nothing_is_recorded_and_cool_downs_stay_in_memory(
    wire: Wire, clock: Clock
) -> None:
    wire.script("alpha.test", httpx.Response(429, headers={"Retry-After": "5"}))
    r = router(wire, clock, None)
    assert r.call(r.plan("chat"), MESSAGES).provider == "beta"
    assert r.cooldowns() == {("alpha", None): (NOW + 5, "HTTP 429, Retry-After 5s")}


def test_a_shared_cool_down_map_is_used_and_filled(wire: Wire, clock: Clock) -> None:
    shared: dict[tuple[str, str | None], tuple[float, str]] = {("beta", None): (NOW + 100, "HTTP 429")}
    wire.script("alpha.test", httpx.Response(429), httpx.Response(429))
    client = httpx.Client(transport=httpx.MockTransport(wire))
    r = Router(CATALOG, environ={"ALPHA_KEY": KEY}, client=client, clock=clock.time, cooldowns=shared)
    assert r.call(r.plan("chat"), MESSAGES).provider == "gamma"
    assert shared[("alpha", None)] == (NOW + 30, "HTTP 429")


def test_an_attempt_that_cannot_be_recorded_keeps_the_answer_and_says_why(
    wire: Wire, clock: Clock, store: UsageStore, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "usage.db") as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON provider_usage BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    r = router(wire, clock, store)
    answer = r.call(r.plan("chat"), MESSAGES)
    assert answer.text
    assert r.usage_warning is not None
    assert r.usage_warning.startswith("usage could not be recorded in the usage database ")
    assert r.usage is None  # one failure, one sentence: the store is not asked again


def test_a_failed_attempt_records_its_latency(wire: Wire, clock: Clock, store: UsageStore) -> None:
    wire.script("alpha.test", httpx.Response(500))
    r = router(wire, clock, store)
    got = r.call(r.plan("chat"), MESSAGES)
    assert [a.latency_ms for a in got.attempts] == [250.0, 250.0]
    assert [row[3] for row in rows(store)] == [250.0, 250.0]


def test_the_plan_stops_at_max_attempts_unless_all_are_asked_for(wire: Wire, clock: Clock) -> None:
    r = router(wire, clock, None)
    assert (len(r.plan("chat").entries), r.plan("chat").not_reached) == (3, 1)
    assert (len(r.plan("chat", show_all=True).entries), r.plan("chat", show_all=True).not_reached) == (4, 0)
    candidates = [e.candidate for e in r.plan("chat", show_all=True).entries]
    assert len(r.plan_candidates("chat", candidates).entries) == 3
    assert len(r.plan_candidates("chat", candidates, show_all=True).entries) == 4


def test_unreachable_names_why_a_provider_cannot_be_called(wire: Wire, clock: Clock) -> None:
    r = router(wire, clock, None, environ={})
    assert r.unreachable("alpha") == "no API key: ALPHA_KEY is not set"
    assert r.unreachable("beta") is None


def test_keep_cooldown_cools_the_provider_or_the_model_and_keeps_the_later(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    r = router(wire, clock, store)
    a1, b1 = Candidate("alpha", "a1", "catalog"), Candidate("beta", "b1", "catalog")
    # alpha declares only key-wide limits: its whole provider cools down; beta none: the model
    assert r.keep_cooldown(a1, RouteCooldown(NOW + 9, "HTTP 429, Retry-After 9s")) == Cooldown(
        "alpha", None, NOW + 9, "HTTP 429, Retry-After 9s"
    )
    assert r.keep_cooldown(a1, RouteCooldown(NOW + 5, "earlier")).until_epoch == NOW + 5
    assert r.keep_cooldown(b1, RouteCooldown(NOW + 7, "HTTP 429")).model == "b1"
    assert r.cooldowns() == {
        ("alpha", None): (NOW + 9, "HTTP 429, Retry-After 9s"),
        ("beta", "b1"): (NOW + 7, "HTTP 429"),
    }
    assert sorted((c.provider, c.model, c.until_epoch) for c in store.active_cooldowns(NOW)) == [
        ("alpha", None, NOW + 9),
        ("beta", "b1", NOW + 7),
    ]
    assert r.day_reset_at(a1) == 1_800_057_600.0  # the next UTC midnight


def test_warm_up_makes_the_client_once_and_close_closes_it() -> None:
    r = Router(CATALOG, environ={})
    assert r.client is None
    r.warm_up()
    made = r.client
    assert isinstance(made, httpx.Client) and not made.is_closed
    r.warm_up()
    assert r.client is made
    r.close()
    assert made.is_closed
    Router(CATALOG, environ={}).close()  # nothing made, nothing to close


# providers a call can never reach: the skip reasons planning gives, and the failure names them
UNREACHABLE = compiled_catalog(
    {
        "anthro": api("http://anthro.test/v1", style="anthropic"),
        "cf": api("http://cf.test/${ACCOUNT_ID}/v1"),
        "beta": api("http://beta.test/v1"),
    },
    [("anthro", "x1"), ("cf", "c1"), ("beta", "b1")],
    max_attempts=2,
)


def test_an_unsupported_api_style_and_an_unset_base_url_variable_are_skipped(
    wire: Wire, clock: Clock
) -> None:
    client = httpx.Client(transport=httpx.MockTransport(wire))
    r = Router(UNREACHABLE, environ={}, client=client, clock=clock.time, timer=clock.timer)
    assert r.unreachable("anthro") == "API style 'anthropic' is not supported"
    assert r.unreachable("cf") == "ACCOUNT_ID is not set (the base URL needs it)"
    plan = r.plan("chat")
    assert [(e.candidate.provider, e.skip) for e in plan.entries] == [
        ("anthro", "API style 'anthropic' is not supported"),
        ("cf", "ACCOUNT_ID is not set (the base URL needs it)"),
        ("beta", None),
    ]
    wire.script("beta.test", httpx.Response(500))
    with pytest.raises(NoCandidateAnswered) as caught:
        r.call(plan, MESSAGES)
    assert wire.models() == ["b1"]  # neither skipped provider is called
    sentence = str(caught.value)
    assert sentence.startswith("no candidate answered for workload 'chat': tried beta/b1: server")
    assert sentence.endswith(
        "; skipped anthro (API style 'anthropic' is not supported), "
        "cf (ACCOUNT_ID is not set (the base URL needs it))"
    )


def test_the_variable_set_makes_the_base_url_reachable(wire: Wire, clock: Clock) -> None:
    client = httpx.Client(transport=httpx.MockTransport(wire))
    r = Router(
        UNREACHABLE, environ={"ACCOUNT_ID": "acct"}, client=client, clock=clock.time, timer=clock.timer
    )
    assert r.unreachable("cf") is None
    got = r.call(r.plan("chat"), MESSAGES)
    assert (got.provider, str(wire.requests[0].url)) == ("cf", "http://cf.test/acct/v1/chat/completions")


def test_max_attempts_counts_calls_not_skipped_candidates(wire: Wire, clock: Clock) -> None:
    # UNREACHABLE's max_attempts is 2: two skipped candidates do not use up the attempts
    client = httpx.Client(transport=httpx.MockTransport(wire))
    r = Router(
        UNREACHABLE, environ={"ACCOUNT_ID": "acct"}, client=client, clock=clock.time, timer=clock.timer
    )
    wire.script("cf.test", httpx.Response(500))
    wire.script("beta.test", httpx.Response(500))
    with pytest.raises(NoCandidateAnswered):
        r.call(r.plan("chat"), MESSAGES)
    assert wire.models() == ["c1", "b1"]


# a1 has a budget of its own, beta's key one for all its models (on Pacific days), gamma none
BUDGETED = compiled_catalog(
    {
        "alpha": api("http://alpha.test/v1"),
        "beta": api("http://beta.test/v1"),
        "gamma": api("http://gamma.test/v1"),
    },
    [("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("gamma", "g1")],
    max_attempts=4,
    limits={
        "beta": {"requests_per_day": 50, "day_resets": "pacific-midnight"},
        "gamma": {"day_resets": "rolling"},
    },
    model_limits={("alpha", "a1"): {"requests_per_day": 2}},
)
A1, A2, B1, G1 = (
    Candidate(p, m, "catalog") for p, m in (("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("gamma", "g1"))
)


def used(store: UsageStore, candidate: Candidate, calls: int) -> None:
    # NOW is 08:00 UTC, midnight in Pacific time: the calls are of this day on either clock
    row = UsageRecord(
        candidate.provider, candidate.model, "chat", latency_ms=5.0, success=True, ts=iso_utc(NOW)
    )
    store.record([row] * calls)


def budget_router(
    wire: Wire, clock: Clock, *, usage: UsageStore | None = None, budgets: UsageStore | None = None
) -> Router:
    client = httpx.Client(transport=httpx.MockTransport(wire))
    return Router(
        BUDGETED, environ={}, usage=usage, client=client, clock=clock.time, timer=clock.timer, budgets=budgets
    )


def test_a_spent_budget_skips_its_candidate_and_one_without_limits_is_not_counted(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    used(store, A1, 2)
    used(store, B1, 3)
    r = budget_router(wire, clock, usage=store)
    assert r.budget(A2) is None and r.budget(G1) is None  # no limits of their own or their key's
    a1, b1 = r.budget(A1), r.budget(B1)
    assert a1 is not None and [(b.scope, b.used, b.limit) for b in a1.budgets] == [("model", 2, 2)]
    assert b1 is not None and [(b.scope, b.used, b.limit) for b in b1.budgets] == [("provider", 3, 50)]
    reason = a1.skip_reason()
    assert reason is not None and reason.startswith("budget spent: 2/2 requests today")
    assert r.skip_reason(A1) == reason and r.skip_reason(A2) is None
    got = r.call(r.plan("chat"), MESSAGES)
    assert [(a.model, a.outcome, a.reason) for a in got.attempts][:2] == [
        ("a1", "skipped", reason),
        ("a2", "answered", None),
    ]
    assert wire.models() == ["a2"]


def test_budgets_are_counted_where_the_router_is_told(wire: Wire, clock: Clock, store: UsageStore) -> None:
    used(store, A1, 2)
    r = budget_router(wire, clock, budgets=store)  # no usage store: a gateway's shared counts
    a1 = r.budget(A1)
    assert a1 is not None and a1.spent is not None
    assert budget_router(wire, clock).budget(A1) is None  # nothing counts: no budget known


def test_budgets_that_cannot_be_counted_do_not_stop_the_call(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    used(store, A1, 2)
    store._db.execute("DROP TABLE usage_hour")
    r = budget_router(wire, clock, usage=store)
    assert r.budget(A1) is None
    assert r.usage_warning is not None and r.usage_warning.startswith(
        "budget counts cannot be read from the usage database"
    )
    assert r.budgets is None
    assert r.call(r.plan("chat"), MESSAGES).model == "a1"  # called: its budget is not known


def test_cool_downs_that_cannot_be_read_do_not_stop_the_call(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    store._db.execute("DROP TABLE cooldown")
    r = router(wire, clock, store)
    assert r.cooldowns() == {}
    assert r.usage_warning is not None and r.usage_warning.startswith(
        "cool-downs cannot be read from the usage database"
    )
    assert r.usage is None
    assert r.call(r.plan("chat"), MESSAGES).provider == "alpha"


def test_of_two_cool_downs_ending_together_the_first_reason_is_kept_as_the_store_keeps_it(
    wire: Wire, clock: Clock, store: UsageStore
) -> None:
    r = router(wire, clock, store)
    b1 = Candidate("beta", "b1", "catalog")
    r.keep_cooldown(b1, RouteCooldown(NOW + 7, "first"))
    r.keep_cooldown(b1, RouteCooldown(NOW + 7, "second"))
    assert r.cooldowns()[("beta", "b1")] == (NOW + 7, "first")
    assert [c.reason for c in store.active_cooldowns(NOW)] == ["first"]


def test_a_429_cools_down_until_the_day_of_the_limits_it_hit_starts_over(wire: Wire, clock: Clock) -> None:
    r = budget_router(wire, clock)
    utc_midnight, pacific_midnight = 1_800_057_600.0, 1_800_057_600.0 + 8 * 3600
    assert r.day_reset_at(A1) == utc_midnight  # a1's own limits, on UTC days
    assert r.day_reset_at(B1) == pacific_midnight  # beta's key, on Pacific days
    assert r.day_reset_at(G1) is None  # gamma's days roll; no limits of g1's own
    assert r.day_reset_at(A2) == utc_midnight
    # a model's own limits on its own (UTC) days, under a key that counts Pacific days
    own_days = compiled_catalog(
        {"beta": api("http://beta.test/v1")},
        [("beta", "b1"), ("beta", "b2")],
        limits={"beta": {"requests_per_day": 50, "day_resets": "pacific-midnight"}},
        model_limits={("beta", "b1"): {"requests_per_day": 5, "day_resets": "utc-midnight"}},
    )
    r = Router(own_days, environ={}, clock=clock.time)
    assert r.day_reset_at(B1) == utc_midnight
    assert r.day_reset_at(Candidate("beta", "b2", "catalog")) == pacific_midnight
