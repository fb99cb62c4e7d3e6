"""Two ``freegin-ai serve`` processes on one PostgreSQL database, as two hosts behind a load
balancer: what one learns (a 429, a spent budget) the other honours. Real processes, a real
loopback provider, the real server; clients are plain HTTP clients."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.postgres import fresh_schema, server_url

pytestmark = pytest.mark.slow

KEY_A, KEY_B = "sk-alpha-test-0123456789abcdef", "sk-beta-test-fedcba9876543210"
MESSAGES = [{"role": "user", "content": "hi"}]


class Gateway:
    """A running ``freegin-ai serve --port 0``; its stderr is collected line by line."""

    def __init__(self, repo: Path, db: str) -> None:
        env = {**os.environ, "ALPHA_API_KEY": KEY_A, "BETA_API_KEY": KEY_B, "FREEGIN_DB": db}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "serve", "--port", "0"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self.wait_for("listening on ").split("listening on ", 1)[1].split()[0]
        self.http = httpx.Client(base_url=self.url, timeout=20)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} on stderr: {self.lines}")

    def chat(self, workload: str = "chat") -> httpx.Response:
        return self.http.post("chat/completions", json={"model": workload, "messages": MESSAGES})

    def stop(self) -> int:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(20)
        self._reader.join(5)
        return code


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        for name in ("alpha", "beta", "gamma", "delta"):
            fake.script(name, Reply.answer(f"from {name}"))
        yield fake


@pytest.fixture(scope="module")
def two(
    tmp_path_factory: pytest.TempPathFactory, server: FakeOpenAI, request: pytest.FixtureRequest
) -> Iterator[tuple[Gateway, Gateway]]:
    """Two gateways on one schema, started once for the module; each test uses its own
    workload (and so its own models): chat for budgets, code for 429s, summarisation for
    concurrent clients."""
    repo = write_loopback_catalog(
        tmp_path_factory.mktemp("fleet") / "repo",
        [
            LoopbackProvider(
                "alpha",
                server.url("alpha"),
                {"a1": ["chat"], "a2": ["chat"]},
                "ALPHA_API_KEY",
                model_limits={"a1": "{requests_per_day: 5}", "a2": "{requests_per_minute: 1000}"},
            ),
            LoopbackProvider(
                "gamma",
                server.url("gamma"),
                {"g1": ["code"], "g2": ["code"]},
                "ALPHA_API_KEY",
                model_limits={"g1": "{requests_per_minute: 30}", "g2": "{requests_per_minute: 30}"},
            ),
            LoopbackProvider(
                "delta",
                server.url("delta"),
                {"d1": ["summarisation"], "d2": ["summarisation"]},
                "ALPHA_API_KEY",
                model_limits={"d1": "{requests_per_day: 5}"},
            ),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat", "code"]}, "BETA_API_KEY"),
        ],
    )
    with fresh_schema(server_url(request.config)) as url:
        first, second = Gateway(repo, url), Gateway(repo, url)
        try:
            yield first, second
        finally:
            assert first.stop() == 0 and second.stop() == 0


def model_calls(server: FakeOpenAI, provider: str, model: str) -> int:
    return sum(1 for r in server.calls(provider) if isinstance(r.body, dict) and r.body.get("model") == model)


def test_a_429_seen_by_one_gateway_keeps_the_other_off_that_model_within_a_second(two, server):
    first, second = two
    server.script("gamma", Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "120"}))
    answered = first.chat("code")
    assert answered.status_code == 200 and answered.headers["x-freegin-provider"] == "beta"
    assert model_calls(server, "gamma", "g1") == 1  # g1 said 429, and so did g2
    server.script("gamma", Reply.answer("from gamma"))  # gamma would answer again now
    time.sleep(1.0)
    for _ in range(3):
        response = second.chat("code")
        assert response.status_code == 200
        assert response.headers["x-freegin-provider"] == "beta"
    assert model_calls(server, "gamma", "g1") == 1  # the second gateway never called the cooling model
    got = second.http.get("freegin/status")
    assert got.status_code == 200, got.text
    g1 = next(c for c in got.json()["workloads"]["code"] if c["model"] == "g1")
    assert g1["cooling_down_until"] is not None and not g1["usable"]


def test_a_budget_of_five_a_day_is_five_for_both_gateways_together(two, server):
    first, second = two
    answers = [(first if n % 2 == 0 else second).chat() for n in range(12)]  # one after another
    assert all(r.status_code == 200 for r in answers)
    by = [r.headers["x-freegin-model"] for r in answers]
    assert by[:5] == ["a1"] * 5 and set(by[5:]) == {"a2"}
    assert model_calls(server, "alpha", "a1") == 5
    status = first.http.get("freegin/status").json()
    a1 = next(c for c in status["workloads"]["chat"] if c["model"] == "a1")
    assert a1["usable"] is False


def test_concurrent_clients_overshoot_the_budget_by_at_most_the_calls_in_flight(two, server):
    first, second = two
    server.script("delta", Reply(200, Reply.answer("slow").body, delay_s=0.05))
    clients = 4
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda n: (first if n % 2 else second).chat("summarisation"), range(24)))
    assert all(r.status_code == 200 for r in answers)
    # A gateway counts its own calls in flight; the other gateway's (two clients) it cannot see.
    assert 5 <= model_calls(server, "delta", "d1") <= 5 + clients // 2
