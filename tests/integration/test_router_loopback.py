"""The router end to end: real catalog files, a real local OpenAI-speaking server, a real SQLite
file, the real command line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from freegin_gitops.adapters import yaml_read
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply

KEY_A = "sk-alpha-test-0123456789abcdef"
KEY_B = "sk-beta-test-fedcba9876543210"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(  # a key-wide budget: a 429 cools down every alpha model
                "alpha",
                server.url("alpha"),
                {"a1": ["chat"], "a2": ["chat", "code"]},
                "ALPHA_API_KEY",
                limits="{requests_per_day: 1000}",
            ),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat", "code"]}, "BETA_API_KEY"),
            LoopbackProvider("gamma", server.url("gamma"), {"g1": ["chat"]}),
        ],
    )


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHA_API_KEY", KEY_A)
    monkeypatch.setenv("BETA_API_KEY", KEY_B)


def usage_rows(db: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM provider_usage ORDER BY id")]


def db_path() -> Path:
    return Path(os.environ["FREEGIN_DB"])


def test_route_lists_candidates_and_explains_skips(cli, repo, monkeypatch):
    monkeypatch.setenv("ALPHA_API_KEY", KEY_A)
    run = cli("--repo", repo, "route", "--json")
    assert run.code == 0, run.stderr
    plan = json.loads(run.stdout)
    got = [(c["provider"], c["model"], c["usable"], c["skip_reason"]) for c in plan["candidates"]]
    assert got == [
        ("alpha", "a1", True, None),
        ("alpha", "a2", True, None),
        ("beta", "b1", False, "no API key: BETA_API_KEY is not set"),
        ("gamma", "g1", True, None),
    ]


def test_route_calls_nothing(cli, repo, server, keys):
    assert cli("--repo", repo, "route").code == 0
    assert server.requests == []


def test_ask_falls_back_through_429_and_500_to_an_answer(cli, repo, server, keys):
    server.script("alpha", Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "60"}))
    server.script("beta", Reply(500, {"error": {"message": "boom"}}))
    server.script("gamma", Reply.answer("hello from gamma"))

    run = cli("--repo", repo, "ask", "Say hello", "--json")

    assert run.code == 0, run.stderr
    answer = json.loads(run.stdout)
    assert (answer["answer"], answer["provider"], answer["model"]) == ("hello from gamma", "gamma", "g1")
    outcomes = [(a["provider"], a["model"], a["outcome"], a["error_kind"]) for a in answer["attempts"]]
    assert outcomes == [
        ("alpha", "a1", "failed", "rate_limited"),
        ("alpha", "a2", "skipped", None),  # cooling down after alpha's 429
        ("beta", "b1", "failed", "server_error"),
        ("gamma", "g1", "answered", None),
    ]
    assert len(server.calls("alpha")) == 1
    rows = usage_rows(db_path())
    assert [
        (r["provider"], r["model"], r["workload"], r["success"], r["error_kind"], r["status_code"])
        for r in rows
    ] == [
        ("alpha", "a1", "chat", 0, "rate_limited", 429),
        ("beta", "b1", "chat", 0, "server_error", 500),
        ("gamma", "g1", "chat", 1, None, 200),
    ]
    assert rows[2]["total_tokens"] == 10
    assert all(r["latency_ms"] >= 0 for r in rows)


def test_ask_prints_only_the_answer_on_stdout(cli, repo, server, keys):
    server.script("alpha", Reply.answer("plain answer"))
    run = cli("--repo", repo, "ask", "hi")
    assert run.code == 0
    assert run.stdout == "plain answer\n"
    assert "alpha/a1" in run.stderr


def test_ask_reads_the_prompt_from_stdin(cli, repo, server, keys, monkeypatch):
    import io

    server.script("alpha", Reply.answer("ok"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("prompt from stdin\n"))
    assert cli("--repo", repo, "ask", "-").code == 0
    sent = server.calls("alpha")[0].body
    assert sent["messages"] == [{"role": "user", "content": "prompt from stdin\n"}]
    assert sent["model"] == "a1"


def test_every_candidate_down_exits_1_with_one_sentence(cli, repo, server, keys):
    for name in ("alpha", "beta", "gamma"):
        server.script(name, Reply(503, {"error": {"message": "unavailable"}}))
    run = cli("--repo", repo, "ask", "hi")
    assert run.code == 1
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("freegin-ai: no candidate answered for workload 'chat'")
    for tried in ("alpha/a1", "alpha/a2", "beta/b1", "gamma/g1"):
        assert tried in lines[0]
    assert "Traceback" not in run.stderr
    assert len(usage_rows(db_path())) == 4


def test_connection_refused_moves_on(cli, tmp_path, server, keys):
    repo = write_loopback_catalog(
        tmp_path / "r2",
        [
            LoopbackProvider("dead", "http://127.0.0.1:9/v1", {"d1": ["chat"]}),
            LoopbackProvider("gamma", server.url("gamma"), {"g1": ["chat"]}),
        ],
    )
    server.script("gamma", Reply.answer("alive"))
    run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 0
    attempts = json.loads(run.stdout)["attempts"]
    assert attempts[0]["error_kind"] == "connect"


def test_slow_provider_hits_its_timeout(cli, tmp_path, server):
    repo = write_loopback_catalog(
        tmp_path / "r3",
        [
            LoopbackProvider("slow", server.url("slow"), {"s1": ["chat"]}, timeout_s=0.5),
            LoopbackProvider("gamma", server.url("gamma"), {"g1": ["chat"]}),
        ],
    )
    server.script("slow", Reply(200, Reply.answer("too late").body, delay_s=3))
    server.script("gamma", Reply.answer("in time"))
    run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 0
    answer = json.loads(run.stdout)
    assert answer["answer"] == "in time"
    first = answer["attempts"][0]
    assert (first["provider"], first["error_kind"]) == ("slow", "timeout")
    assert first["latency_ms"] < 2500
    assert usage_rows(db_path())[0]["error_kind"] == "timeout"


@pytest.mark.parametrize(
    "body", [b"<html>not json</html>", {"choices": []}, {"choices": [{"message": {"content": ""}}]}]
)
def test_malformed_answer_is_a_failure_and_falls_back(cli, repo, server, keys, body):
    server.script("alpha", Reply(200, body))
    server.script("beta", Reply.answer("fine"))
    run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 0
    attempts = json.loads(run.stdout)["attempts"]
    assert attempts[0]["error_kind"] == "bad_response"
    assert json.loads(run.stdout)["provider"] == "beta"


def test_provider_and_model_name_exactly_one_candidate(cli, repo, server, keys):
    server.script("gamma", Reply.answer("custom model"))
    run = cli("--repo", repo, "ask", "hi", "--provider", "gamma", "--model", "not-in-catalog", "--json")
    assert run.code == 0
    assert [a["model"] for a in json.loads(run.stdout)["attempts"]] == ["not-in-catalog"]
    assert server.calls("gamma")[0].body["model"] == "not-in-catalog"


def test_provider_alone_restricts_to_that_provider(cli, repo, keys):
    run = cli("--repo", repo, "route", "--provider", "alpha", "--json")
    assert [c["model"] for c in json.loads(run.stdout)["candidates"]] == ["a1", "a2"]


def test_unknown_workload_is_one_clear_error(cli, repo):
    run = cli("--repo", repo, "route", "--workload", "chatt")
    assert run.code == 1
    assert "unknown workload 'chatt'; did you mean 'chat'?" in run.stderr


def _subprocess(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


def test_retry_after_is_respected_by_a_second_process(cli, repo, server, keys):
    server.script("alpha", Reply(429, {"error": {"message": "quota"}}, {"Retry-After": "120"}))
    server.script("beta", Reply.answer("beta answers"))
    assert cli("--repo", repo, "ask", "first").code == 0
    assert len(server.calls("alpha")) == 1

    route = _subprocess(repo, "route", "--json")
    assert route.returncode == 0, route.stderr
    alpha = [c for c in json.loads(route.stdout)["candidates"] if c["provider"] == "alpha"]
    assert all(c["skip_reason"].startswith("cooling down until") for c in alpha)

    second = _subprocess(repo, "ask", "second", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["provider"] == "beta"
    assert len(server.calls("alpha")) == 1  # the second process did not call alpha


def test_the_key_is_sent_to_the_provider_and_found_nowhere_else(cli, repo, server, keys, tmp_path):
    # alpha refuses the key and quotes it back, as some providers do; beta answers.
    server.script("alpha", Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY_A}"}}))
    server.script("beta", Reply(500, f"internal error for key {KEY_B}"), Reply.answer("answer"))
    outputs = []
    for args in (
        ("ask", "one", "--json"),
        ("ask", "two"),
        ("route", "--json"),
        ("route",),
        ("list-models", "--json"),
        ("list-models",),
        ("ask", "three", "--provider", "alpha"),
    ):
        run = cli("--repo", repo, *args)
        outputs += [run.stdout, run.stderr]
    assert any("Incorrect API key provided" in o for o in outputs)  # the quoted error is shown...
    for text in outputs:
        assert KEY_A not in text and KEY_B not in text  # ...with the key scrubbed out
        assert KEY_A[:8] not in text and KEY_A[-8:] not in text
    assert all(r.headers.get("Authorization") == f"Bearer {KEY_A}" for r in server.calls("alpha"))
    assert all(r.headers.get("Authorization") == f"Bearer {KEY_B}" for r in server.calls("beta"))
    assert all("Authorization" not in r.headers for r in server.calls("gamma"))
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("usage.db") for p in stored)
    for path in stored:
        data = path.read_bytes()
        assert KEY_A.encode() not in data and KEY_B.encode() not in data, path


def test_list_models_shows_usage_after_calls(cli, repo, server, keys):
    server.script("alpha", Reply(500, {}), Reply.answer("x"), Reply.answer("y"))
    for _ in range(3):
        cli("--repo", repo, "ask", "hi")
    rows = {
        (r["provider"], r["model"], r["workload"]): r
        for r in json.loads(cli("--repo", repo, "list-models", "--json").stdout)
    }
    a1 = rows[("alpha", "a1", "chat")]
    assert a1["calls"] == 3
    assert a1["success_rate"] == pytest.approx(2 / 3)
    assert a1["mean_latency_ms"] is not None and a1["p95_latency_ms"] is not None
    assert a1["last_used"].endswith("Z")
    assert rows[("beta", "b1", "chat")]["calls"] is None


def test_a_deprecated_model_is_tried_after_every_active_one_and_route_says_why(cli, repo, server, keys):
    deprecate = cli(
        "--repo", repo, "deprecate-model", "alpha", "a1", "--successor", "a2", "--reason", "slow", "--commit"
    )
    assert deprecate.code == 0, deprecate.stderr
    assert (
        subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True).stdout == b""
    )
    run = cli("--repo", repo, "route", "--json")
    plan = json.loads(run.stdout)
    got = [(c["provider"], c["model"], c["origin"], c["deprecated"]) for c in plan["candidates"]]
    entry = yaml_read.parse((repo / "catalog/providers/alpha.yaml").read_text())["models"][0]
    today = entry["deprecated"]
    assert got == [
        ("alpha", "a2", "catalog", None),
        ("beta", "b1", "catalog", None),
        ("gamma", "g1", "catalog", None),
        ("alpha", "a1", "deprecated", f"deprecated since {today} (slow; successor a2)"),
    ]
    text = cli("--repo", repo, "route")
    row = next(line for line in text.stdout.splitlines() if " a1 " in line)
    assert "will try, after every active model: deprecated since" in row
    server.script(
        "alpha",
        responder=lambda body: (
            Reply.answer(f"from {body['model']}")
            if body["model"] == "a1"
            else Reply(500, {"error": {"message": "down"}})
        ),
    )
    server.script("beta", Reply(500, {"error": {"message": "down"}}))
    server.script("gamma", Reply(503, {"error": {"message": "down"}}))
    answered = cli("--repo", repo, "ask", "hello", "--json")
    assert answered.code == 0, answered.stderr
    assert json.loads(answered.stdout)["answer"] == "from a1"
