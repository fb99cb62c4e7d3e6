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

pytestmark = pytest.mark.slow

KEY_A, KEY_B = "sk-alpha-test-0123456789abcdef", "sk-beta-test-fedcba9876543210"
BODY = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}


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

    def chat(self) -> httpx.Response:
        return self.http.post("/chat/completions", json=BODY)

    def stop(self) -> int:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(20)
        self._reader.join(5)
        return code


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer("from alpha"))
        fake.script("beta", Reply.answer("from beta"))
        yield fake


@pytest.fixture
def two(tmp_path: Path, server: FakeOpenAI, postgres_url: str) -> Iterator[tuple[Gateway, Gateway]]:
    repo = write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha",
                server.url("alpha"),
                {"a1": ["chat"], "a2": ["chat"]},
                "ALPHA_API_KEY",
                model_limits={"a1": "{requests_per_day: 5}", "a2": "{requests_per_minute: 1000}"},
            ),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat"]}, "BETA_API_KEY"),
        ],
    )
    first = Gateway(repo, postgres_url)
    second = Gateway(repo, postgres_url)
    try:
        yield first, second
    finally:
        assert first.stop() == 0 and second.stop() == 0


def model_calls(server: FakeOpenAI, model: str) -> int:
    return sum(1 for r in server.calls("alpha") if isinstance(r.body, dict) and r.body.get("model") == model)


def test_a_429_seen_by_one_gateway_keeps_the_other_off_that_model_within_a_second(two, server):
    first, second = two
    server.script("alpha", Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "120"}))
    answered = first.chat()
    assert answered.status_code == 200 and answered.headers["x-freegin-provider"] == "beta"
    assert model_calls(server, "a1") == 1  # a1 said 429; a2 was tried too (the same 429)
    server.script("alpha", Reply.answer("from alpha"))  # alpha would answer again now
    time.sleep(1.0)
    for _ in range(3):
        response = second.chat()
        assert response.status_code == 200
        assert response.headers["x-freegin-provider"] == "beta"
    assert model_calls(server, "a1") == 1  # the second gateway never called the cooling model
    status = second.http.get("/v1/freegin/status").json()
    a1 = next(c for c in status["workloads"]["chat"] if c["model"] == "a1")
    assert a1["cooling_down_until"] is not None and not a1["usable"]


def test_a_budget_of_five_a_day_is_five_for_both_gateways_together(two, server):
    first, second = two
    answers = [(first if n % 2 == 0 else second).chat() for n in range(12)]  # one after another
    assert all(r.status_code == 200 for r in answers)
    by = [r.headers["x-freegin-model"] for r in answers]
    assert by[:5] == ["a1"] * 5 and set(by[5:]) == {"a2"}
    assert model_calls(server, "a1") == 5
    status = first.http.get("/v1/freegin/status").json()
    a1 = next(c for c in status["workloads"]["chat"] if c["model"] == "a1")
    assert a1["usable"] is False


def test_concurrent_clients_overshoot_the_budget_by_at_most_the_calls_in_flight(two, server):
    first, second = two
    server.script("alpha", Reply(200, Reply.answer("slow").body, delay_s=0.05))
    clients = 4
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda n: (first if n % 2 else second).chat(), range(24)))
    assert all(r.status_code == 200 for r in answers)
    assert 5 <= model_calls(server, "a1") <= 5 + clients - 1  # the other clients' calls in flight
