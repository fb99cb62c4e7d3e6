"""Free-tier budgets end to end: real catalog files, a real local OpenAI-speaking server, a real
SQLite file; the command line as a user runs it, and the router with an injected clock where the
test moves through windows, cool-downs and day resets."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.core.usage import Cooldown
from freegin_gitops.services.catalog.compiled_store import load_compiled
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.routing.router import Router
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply

KEY = "sk-alpha-budget-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "hello"}]
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC).timestamp()


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", responder=lambda body: Reply.answer(f"from {body['model']}"))
        fake.script("beta", responder=lambda body: Reply.answer(f"from {body['model']}"))
        yield fake


def catalog(tmp_path: Path, server: FakeOpenAI, **alpha: object) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha", server.url("alpha"), {"a1": ["chat"], "a2": ["chat"]}, "ALPHA_KEY", **alpha
            ),  # type: ignore[arg-type]
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat"]}),
        ],
    )


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def router(repo: Path, db: Path, clock: Clock) -> tuple[Router, SqliteUsageStore]:
    store = SqliteUsageStore(db)
    compiled = load_compiled(CatalogRepo(repo, "--repo"))
    return Router(compiled, environ={"ALPHA_KEY": KEY}, usage=store, clock=clock), store


def models_called(server: FakeOpenAI, provider: str = "alpha") -> list[str]:
    return [r.body["model"] for r in server.calls(provider)]


def test_a_model_limited_to_three_requests_a_day_gets_three_then_the_next_candidate(
    cli, tmp_path, server, monkeypatch
):
    now = dt.datetime.now(dt.UTC)
    if (dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), dt.UTC) - now).seconds < 60:
        time.sleep(61)  # the day this test counts in must not end while it runs
    repo = catalog(tmp_path, server, model_limits={"a1": "{requests_per_day: 3}"})
    monkeypatch.setenv("ALPHA_KEY", KEY)
    for _ in range(3):
        run = cli("--repo", repo, "ask", "hello", "--json")
        assert run.code == 0, run.stderr
        assert json.loads(run.stdout)["model"] == "a1"
    third = json.loads(run.stdout)["budget"]
    assert third["spent"] is True and third["limits"][0]["used"] == 3

    fourth = cli("--repo", repo, "ask", "hello", "--json")
    assert fourth.code == 0, fourth.stderr
    answer = json.loads(fourth.stdout)
    assert (answer["model"], answer["answer"]) == ("a2", "from a2")
    assert answer["attempts"][0]["outcome"] == "skipped"
    assert answer["attempts"][0]["reason"] == "budget spent: 3/3 requests today, resets 00:00 UTC"
    assert models_called(server) == ["a1", "a1", "a1", "a2"]  # nothing more reached a1

    route = cli("--repo", repo, "route", "--json")
    a1 = json.loads(route.stdout)["candidates"][0]
    assert (a1["model"], a1["usable"]) == ("a1", False)
    assert a1["skip_reason"] == "budget spent: 3/3 requests today, resets 00:00 UTC"
    tomorrow = (now.date() + dt.timedelta(days=1)).isoformat()
    assert a1["budget"]["limits"] == [
        {
            "scope": "model",
            "kind": "requests",
            "period": "day",
            "day_resets": "utc-midnight",
            "limit": 3,
            "used": 3,
            "remaining": 0,
            "spent": True,
            "resets_at": f"{tomorrow}T00:00:00Z",
        }
    ]
    text = cli("--repo", repo, "route").stdout
    assert "skipped: budget spent: 3/3 requests today, resets 00:00 UTC" in text
    listing = json.loads(cli("--repo", repo, "list-models", "--json").stdout)
    assert [r["budget"]["spent"] if r["budget"] else None for r in listing] == [True, None, None]


def test_a_spent_day_comes_back_when_the_day_resets(tmp_path, server):
    repo = catalog(tmp_path, server, model_limits={"a1": "{requests_per_day: 3}"})
    clock = Clock(T0)
    r, store = router(repo, tmp_path / "usage.db", clock)
    with store:
        assert [r.call(r.plan("chat"), MESSAGES).model for _ in range(4)] == ["a1", "a1", "a1", "a2"]
        clock.now = dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=dt.UTC).timestamp()
        assert r.plan("chat").entries[0].skip == "budget spent: 3/3 requests today, resets 00:00 UTC"
        clock.now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC).timestamp()
        fresh = r.plan("chat").entries[0]
        assert fresh.skip is None and fresh.budget is not None
        assert fresh.budget.tightest.headroom() == "3 of 3 requests left today"  # type: ignore[union-attr]
        assert r.call(r.plan("chat"), MESSAGES).model == "a1"
    assert models_called(server) == ["a1", "a1", "a1", "a2", "a1"]


def test_a_provider_wide_budget_is_shared_by_its_models(tmp_path, server):
    repo = catalog(tmp_path, server, limits="{requests_per_minute: 2}")
    clock = Clock(T0)
    r, store = router(repo, tmp_path / "usage.db", clock)
    with store:
        got = [r.call(r.plan("chat"), MESSAGES).model for _ in range(3)]
        skipped = r.plan("chat").entries[:2]
        clock.now = T0 + 60
        again = r.call(r.plan("chat"), MESSAGES).model
    assert got == ["a1", "a1", "b1"]
    assert [e.skip for e in skipped] == [
        "budget spent: 2/2 requests in the last minute for all alpha models, frees up at 10:01 UTC"
    ] * 2
    assert again == "a1"


def test_a_429_with_a_reset_duration_cools_down_that_model_only(tmp_path, server):
    replies = iter(
        [Reply(429, {"error": {"message": "Rate limit reached"}}, {"x-ratelimit-reset-requests": "2m59.56s"})]
    )
    server.script(
        "alpha", responder=lambda body: next(replies, None) or Reply.answer(f"from {body['model']}")
    )
    repo = catalog(tmp_path, server, model_limits={"a1": "{requests_per_day: 1000}"})
    clock = Clock(T0)
    r, store = router(repo, tmp_path / "usage.db", clock)
    with store:
        first = r.call(r.plan("chat"), MESSAGES)
        assert (first.model, [a.outcome for a in first.attempts]) == ("a2", ["failed", "answered"])
        assert store.active_cooldowns(T0) == [
            Cooldown("alpha", "a1", T0 + 179.56, "HTTP 429, x-ratelimit-reset-requests 2m59.56s")
        ]
        clock.now = T0 + 179
        assert r.call(r.plan("chat"), MESSAGES).model == "a2"  # a1 still cooling, a2 answers
        clock.now = T0 + 180
        assert r.call(r.plan("chat"), MESSAGES).model == "a1"
    assert models_called(server) == ["a1", "a2", "a2", "a1"]


def gemini_daily_429() -> Reply:
    body = [
        {
            "error": {
                "code": 429,
                "message": "You exceeded your current quota. Please retry in 36.4s.",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
                    },
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36s"},
                ],
            }
        }
    ]
    return Reply(429, body)


def test_a_daily_quota_429_cools_the_model_down_until_the_day_resets(tmp_path, server):
    replies = iter([gemini_daily_429()])
    server.script(
        "alpha", responder=lambda body: next(replies, None) or Reply.answer(f"from {body['model']}")
    )
    repo = catalog(
        tmp_path,
        server,
        limits="{day_resets: pacific-midnight}",
        model_limits={"a1": "{requests_per_day: 20}"},
    )
    clock = Clock(T0)  # 02:00 in Los Angeles (PST): the day resets at 08:00 UTC on the 26th
    midnight = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC).timestamp()
    r, store = router(repo, tmp_path / "usage.db", clock)
    with store:
        assert r.call(r.plan("chat"), MESSAGES).model == "a2"
        (cooldown,) = store.active_cooldowns(T0)
        assert cooldown == Cooldown("alpha", "a1", midnight, "HTTP 429: the day's quota is spent")
        clock.now = midnight - 1
        assert r.plan("chat").entries[0].skip == (
            "cooling down until 2026-11-26T08:00:00Z (HTTP 429: the day's quota is spent)"
        )
        clock.now = midnight
        assert r.call(r.plan("chat"), MESSAGES).model == "a1"


def test_a_daily_free_limit_429_of_a_shared_key_cools_the_whole_provider(tmp_path, server):
    reset_ms = int(dt.datetime(2026, 11, 26, tzinfo=dt.UTC).timestamp() * 1000)
    body = {
        "error": {
            "message": "Rate limit exceeded: free-models-per-day. "
            "Add 10 credits to unlock 1000 free model requests per day",
            "code": 429,
            "metadata": {
                "headers": {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset_ms),
                }
            },
        }
    }
    server.script("alpha", Reply(429, body, {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "0"}))
    repo = catalog(tmp_path, server, limits="{requests_per_day: 50}")
    clock = Clock(T0)
    r, store = router(repo, tmp_path / "usage.db", clock)
    with store:
        got = r.call(r.plan("chat"), MESSAGES)
        assert [(a.model, a.outcome) for a in got.attempts] == [
            ("a1", "failed"),
            ("a2", "skipped"),
            ("b1", "answered"),
        ]
        assert store.active_cooldowns(T0) == [
            Cooldown("alpha", None, reset_ms / 1000, "HTTP 429: the day's quota is spent")
        ]
        (seen,) = [s for s in store.rate_limits() if s.value.name == ""]
        assert (seen.provider, seen.model, seen.value.limit, seen.value.remaining) == ("alpha", "a1", 50, 0)
    assert models_called(server) == ["a1"]
