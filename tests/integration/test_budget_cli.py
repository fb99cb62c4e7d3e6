"""Budgets and cool-downs as a user sees them, through the command line only: a real local
OpenAI-speaking server and the real SQLite usage file (``FREEGIN_DB``, set per test). ``route``,
``list-models`` and ``ask --json`` show each candidate's headroom; a 429 with
``x-ratelimit-reset-requests`` cools down only the model it was for, across processes."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply

KEY = "sk-alpha-budget-cli-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", responder=lambda body: Reply.answer(f"from {body['model']}"))
        fake.script("beta", responder=lambda body: Reply.answer(f"from {body['model']}"))
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    now = dt.datetime.now(dt.UTC)
    if (dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), dt.UTC) - now).seconds < 60:
        time.sleep(61)  # the day these tests count in must not end while they run
    monkeypatch.setenv("ALPHA_KEY", KEY)
    return write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha",
                server.url("alpha"),
                {"a1": ["chat"], "a2": ["chat"]},
                "ALPHA_KEY",
                limits="{requests_per_day: 100}",
                model_limits={"a1": "{requests_per_day: 3}"},
            ),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat"]}),
        ],
    )


def ask(cli, repo: Path) -> dict:
    run = cli("--repo", repo, "ask", "hello", "--json")
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def row_of(text: str, model: str) -> str:
    return next(line for line in text.splitlines() if f" {model} " in line)


def test_route_list_models_and_ask_show_the_headroom_left(cli, repo, server):
    first = ask(cli, repo)
    assert first["model"] == "a1"
    assert first["budget"]["spent"] is False
    assert [(b["scope"], b["limit"], b["used"], b["remaining"]) for b in first["budget"]["limits"]] == [
        ("model", 3, 1, 2),
        ("provider", 100, 1, 99),
    ]

    route = cli("--repo", repo, "route")
    assert route.code == 0, route.stderr
    assert route.stdout.splitlines()[1].split()[-1] == "BUDGET"
    assert re.search(r" will try +2 of 3 requests left today$", row_of(route.stdout, "a1"))
    assert re.search(
        r" will try +99 of 100 requests left today for all alpha models$", row_of(route.stdout, "a2")
    )
    assert re.search(r" will try$", row_of(route.stdout, "b1").rstrip())  # no limits, no budget
    plan = json.loads(cli("--repo", repo, "route", "--json").stdout)["candidates"]
    assert [(c["model"], c["budget"] and c["budget"]["spent"]) for c in plan] == [
        ("a1", False),
        ("a2", False),
        ("b1", None),
    ]

    listing = cli("--repo", repo, "list-models")
    assert listing.code == 0, listing.stderr
    assert "2 of 3 requests left today" in row_of(listing.stdout, "a1")
    assert "99 of 100 requests left today for all alpha models" in row_of(listing.stdout, "a2")
    rows = json.loads(cli("--repo", repo, "list-models", "--json").stdout)
    a1 = next(r for r in rows if r["model"] == "a1")
    assert [(b["scope"], b["remaining"]) for b in a1["budget"]["limits"]] == [("model", 2), ("provider", 99)]


def test_a_spent_budget_in_route_says_when_it_resets_and_nothing_reaches_the_model(cli, repo, server):
    assert [ask(cli, repo)["model"] for _ in range(4)] == ["a1", "a1", "a1", "a2"]
    assert [r.body["model"] for r in server.calls("alpha")] == ["a1", "a1", "a1", "a2"]
    route = cli("--repo", repo, "route")
    assert "skipped: budget spent: 3/3 requests today, resets 00:00 UTC" in row_of(route.stdout, "a1")
    listing = cli("--repo", repo, "list-models")
    assert "budget spent: 3/3 requests today, resets 00:00 UTC" in row_of(listing.stdout, "a1")


def test_a_429_with_a_reset_duration_cools_that_model_down_for_the_next_process(cli, repo, server):
    replies = iter(
        [Reply(429, {"error": {"message": "Rate limit reached"}}, {"x-ratelimit-reset-requests": "2m59.56s"})]
    )
    server.script(
        "alpha", responder=lambda body: next(replies, None) or Reply.answer(f"from {body['model']}")
    )
    before = time.time()
    first = ask(cli, repo)
    after = time.time()
    assert first["model"] == "a2"  # the same provider's other model answered at once
    assert [a["outcome"] for a in first["attempts"]] == ["failed", "answered"]

    plan = json.loads(cli("--repo", repo, "route", "--json").stdout)["candidates"]
    a1 = plan[0]
    assert (a1["model"], a1["usable"]) == ("a1", False)
    assert a1["skip_reason"].startswith("cooling down until ")
    assert a1["skip_reason"].endswith(" (HTTP 429, x-ratelimit-reset-requests 2m59.56s)")
    until = dt.datetime.fromisoformat(a1["skip_reason"].split()[3].replace("Z", "+00:00")).timestamp()
    assert before + 179.56 - 1 <= until <= after + 179.56 + 1  # about three minutes, to the second
    assert (plan[1]["model"], plan[1]["usable"]) == ("a2", True)

    second = ask(cli, repo)  # another process: the cool-down is in the usage file
    assert second["model"] == "a2"
    assert [r.body["model"] for r in server.calls("alpha")] == ["a1", "a2", "a2"]
