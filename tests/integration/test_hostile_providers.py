"""Providers and GitHub as an attacker would run them: trickling, silent, huge, echoing keys.

Real loopback servers on raw sockets (tests/support/hostile_http.py), the real command line, a
real SQLite file. Deadlines are set small in the catalog (``timeout_s``) or the environment so
that every test is fast; each test would hang or exhaust memory without the bound it checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.hostile_http import (
    HostileServer,
    chat_body,
    chunked_answer,
    reply,
    response_bytes,
    silent,
    trickle,
)

KEY = "sk-live-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e"
DEADLINE_S = 0.6
TRICKLE_S = 0.05  # one byte every 50 ms: each read is quick, the whole would take seconds


def _answer_bytes(text: str = "hello") -> tuple[bytes, bytes]:
    return response_bytes(200, chat_body(text))


def _catalog(tmp_path: Path, url: str, timeout_s: float = DEADLINE_S) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("hostile", f"{url}/v1", {"m1": ["chat"]}, "HOSTILE_API_KEY", timeout_s=timeout_s)],
    )


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOSTILE_API_KEY", KEY)
    return KEY


# -- 1. a deadline per exchange, not per read ------------------------------------------------


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_provider_times_out_like_a_silent_one(cli, tmp_path, key, part):
    head, body = _answer_bytes("a complete answer, sent one byte at a time")
    behaviour = trickle(head + body, TRICKLE_S) if part == "headers" else trickle(body, TRICKLE_S, after=head)
    with HostileServer(behaviour) as server:
        repo = _catalog(tmp_path, server.url)
        run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 1
    attempt = json.loads(run.stdout)["attempts"][0]
    assert attempt["error_kind"] == "timeout"
    assert attempt["reason"] == f"hostile/m1: timed out: the exchange took longer than {DEADLINE_S:g} s"
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1  # one sentence


def test_a_silent_provider_times_out_and_is_recorded(cli, tmp_path, key):
    with HostileServer(silent()) as server:
        repo = _catalog(tmp_path, server.url)
        run = cli("--repo", repo, "ask", "hi")
    assert run.code == 1
    assert "hostile/m1: timed out" in run.stderr


# -- 2. bounded responses -------------------------------------------------------------------


def test_a_huge_chunked_answer_is_refused_past_the_cap(cli, tmp_path, key, monkeypatch):
    monkeypatch.setenv("FREEGIN_MAX_RESPONSE_BYTES", "1MiB")
    with HostileServer(chunked_answer(50 * 1024 * 1024)) as server:
        repo = _catalog(tmp_path, server.url, timeout_s=10)
        run = cli("--repo", repo, "ask", "hi", "--json")
        sent = server.stats.body_bytes_sent
    assert run.code == 1
    attempt = json.loads(run.stdout)["attempts"][0]
    assert attempt["reason"] == "hostile/m1: answer too large: more than 1 MiB"
    assert attempt["error_kind"] == "too_large"
    assert sent < 20 * 1024 * 1024  # the client hung up; it did not drain the body


def test_a_100_mb_chunked_answer_keeps_the_process_small(tmp_path, key):
    """The whole command in a child process, its peak memory read from the kernel (wait4)."""
    with HostileServer(chunked_answer(100 * 1024 * 1024)) as server:
        repo = _catalog(tmp_path, server.url, timeout_s=20)
        child = subprocess.Popen(
            [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "ask", "hi"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "HOSTILE_API_KEY": key},
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        stderr = child.stderr.read().decode() if child.stderr else ""
    assert os.waitstatus_to_exitcode(status) == 1
    assert "answer too large: more than 16 MiB" in stderr
    peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
    assert peak_mib < 160, f"peak memory {peak_mib:.0f} MiB"


# -- 3. secrets scrubbed before anything is cut ---------------------------------------------


@pytest.mark.parametrize("offset", range(180, 206, 3))
def test_an_echoed_key_never_leaks_a_piece_at_the_cut(cli, tmp_path, key, offset):
    message = "x" * offset + f" {key} was refused"

    def echo(conn, request, server):
        head, body = response_bytes(401, json.dumps({"error": {"message": message}}).encode())
        conn.sendall(head + body)

    with HostileServer(echo) as server:
        repo = _catalog(tmp_path, server.url)
        run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 1
    secret_part = key[len("sk-live-") :]
    for text in (run.stdout, run.stderr):
        leaked = [
            secret_part[i : i + 4] for i in range(len(secret_part) - 3) if secret_part[i : i + 4] in text
        ]
        assert not leaked, f"pieces of the key in the output: {leaked}"
    assert "***" in run.stdout or "..." in run.stdout


def test_retry_after_inf_and_nan_are_ignored_with_a_note(cli, tmp_path, key):
    for value in ("inf", "nan"):
        with HostileServer(reply(429, b"{}", {"Retry-After": value})) as server:
            repo = _catalog(tmp_path / value, server.url)
            db = tmp_path / value / "usage.db"
            run = cli("--repo", repo, "--db", db, "ask", "hi", "--json")
            again = cli("--repo", repo, "--db", db, "route", "--json")
        reason = json.loads(run.stdout)["attempts"][0]["reason"]
        assert reason == (
            f"hostile/m1: rate limited (HTTP 429; Retry-After '{value}' ignored: "
            "not a number of seconds or a date)"
        )
        skip = json.loads(again.stdout)["candidates"][0]["skip_reason"]
        assert skip.startswith("cooling down until ")
        assert skip.endswith("(HTTP 429)")  # the default cool-down, not one "for ever"


def test_a_base_url_variable_that_smuggles_credentials_is_refused(cli, tmp_path, key, monkeypatch):
    with HostileServer(reply(200, chat_body("hello"))) as server:
        host = server.url.removeprefix("http://")
        repo = write_loopback_catalog(
            tmp_path / "repo",
            [LoopbackProvider("hostile", "http://${HOSTILE_HOST}/v1", {"m1": ["chat"]}, "HOSTILE_API_KEY")],
        )
        monkeypatch.setenv("HOSTILE_HOST", f"user:hunter2hunter2@{host}")
        run = cli("--repo", repo, "ask", "hi")
        assert run.code == 1
        assert (
            "the base URL would carry credentials (a user name or password) once ${HOSTILE_HOST}"
            in run.stderr
        )
        assert "hunter2" not in run.output
        assert not server.stats.requests  # nothing was sent
        monkeypatch.setenv("HOSTILE_HOST", f"{host}/v1?key=abc&x=")
        run = cli("--repo", repo, "route")
        assert "the query parameter 'key'" in run.stdout
        monkeypatch.setenv("HOSTILE_HOST", host)
        run = cli("--repo", repo, "ask", "hi")
        assert run.code == 0, run.stderr
        assert run.stdout == "hello\n"


def test_debug_tracebacks_are_scrubbed_too(cli, tmp_path, key):
    def echo(conn, request, server):
        token = request.headers["authorization"].removeprefix("Bearer ")
        head, body = response_bytes(401, json.dumps({"error": {"message": f"bad key {token}"}}).encode())
        conn.sendall(head + body)

    with HostileServer(echo) as server:
        repo = _catalog(tmp_path, server.url)
        run = cli("--debug", "--repo", repo, "ask", "hi")
    assert run.code == 1
    assert "Traceback (most recent call last)" in run.stderr
    assert "NoCandidateAnswered" in run.stderr
    assert not [key[i : i + 8] for i in range(len(key) - 7) if key[i : i + 8] in run.stderr]


def test_an_answer_that_echoes_the_key_is_printed_masked(cli, tmp_path, key):
    with HostileServer(reply(200, chat_body(f"your key is {key}, bye"))) as server:
        repo = _catalog(tmp_path, server.url)
        plain = cli("--repo", repo, "ask", "hi")
        as_json = cli("--repo", repo, "ask", "hi", "--json")
    assert plain.code == 0 and as_json.code == 0
    assert plain.stdout == "your key is ***, bye\n"
    assert json.loads(as_json.stdout)["answer"] == "your key is ***, bye"


def test_a_model_list_that_echoes_the_key_never_carries_it_further(cli, tmp_path, key):
    """A provider listing its own key as a model id: the id would go into the refresh prompt (to
    another provider), then into the suggestions file, the commit and the pull request."""
    listing = {"object": "list", "data": [{"id": "m2"}, {"id": key}, {"id": f"x-{key[8:20]}-y"}]}
    llm_answer = json.dumps(
        [
            {
                "workload": "chat",
                "recommendations": [{"model": key, "reason": "r"}, {"model": "m2", "reason": "r"}],
            }
        ]
    )

    def behave(conn, request, server):
        head, body = response_bytes(200, json.dumps(listing).encode())
        if request.method == "POST":
            head, body = response_bytes(200, chat_body(llm_answer))
        conn.sendall(head + body)

    with HostileServer(behave) as server:
        repo = _catalog(tmp_path, server.url)
        run = cli("--repo", repo, "refresh-models", "hostile")
        prompts = [r.body.decode() for r in server.stats.requests if r.method == "POST"]
    assert run.code == 0, run.stderr
    assert "hostile: 1 suggestion" in run.stderr  # m2; the key was never a listed model
    assert prompts and not [p for p in prompts if key[8:16] in p or key[20:28] in p]
    committed = subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "--all"], capture_output=True, text=True, check=True
    ).stdout
    assert "m2" in committed
    assert key[8:16] not in committed and key[8:20] not in committed
