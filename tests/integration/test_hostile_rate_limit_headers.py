"""Rate-limit headers as a hostile or broken provider sends them: characters that Python counts as
digits but that are not numbers in a header (``²``, Arabic-Indic digits), signs, exponents, huge
values. ``ask`` still answers (exit 0, no traceback), nothing odd is recorded, and a 429 with such
headers still falls back. Raw loopback server (tests/support/hostile_http.py), the real command
line, a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.hostile_http import HostileServer, chat_body, reply

KEY = "sk-live-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
ODD = ["²", "١٢٣", "1e3", "-5", "+7", "99999999999999999999", "1_000", "12abc", ""]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOSTILE_API_KEY", KEY)
    return KEY


def catalog(tmp_path: Path, url: str) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("hostile", f"{url}/v1", {"m1": ["chat"], "m2": ["chat"]}, "HOSTILE_API_KEY")],
    )


def recorded(tmp_path: Path) -> list[tuple[str, int | None, int | None]]:
    with SqliteUsageStore(tmp_path / "state" / "usage.db") as store:
        return [(s.value.name, s.value.limit, s.value.remaining) for s in store.rate_limits()]


@pytest.mark.parametrize("value", ODD)
def test_an_answer_with_odd_rate_limit_values_is_still_an_answer(cli, tmp_path, key, value):
    headers = {
        "x-ratelimit-limit-requests": value,
        "x-ratelimit-remaining-requests": value,
        "x-ratelimit-limit-tokens": "6000",
        "x-ratelimit-remaining-tokens": "5990",
    }
    with HostileServer(reply(200, chat_body("fine"), headers)) as server:
        repo = catalog(tmp_path, server.url)
        run = cli("--repo", repo, "ask", "hi", "--json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["answer"] == "fine"
    assert "Traceback" not in run.stderr
    assert recorded(tmp_path) == [("tokens", 6000, 5990)]  # only the well-formed pair


@pytest.mark.parametrize("value", ODD)
def test_a_429_with_odd_values_still_falls_back(cli, tmp_path, key, value):
    headers = {
        "retry-after": value,
        "x-ratelimit-reset-requests": value,
        "x-ratelimit-reset": value,
        "x-ratelimit-limit-requests": value,
        "x-ratelimit-remaining-requests": "0",
    }
    body = json.dumps({"error": {"message": f"slow down {value}"}}).encode()
    with HostileServer(reply(429, body, headers)) as server:
        repo = catalog(tmp_path, server.url)
        run = cli("--repo", repo, "ask", "hi", "--json", "--provider", "hostile", "--model", "m1")
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "rate limited (HTTP 429" in run.stderr
