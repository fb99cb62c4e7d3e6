"""``freegin-ai serve`` as a real process on a loopback port, used through the official ``openai``
SDK as a client would use it; providers are a real loopback server, usage a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest

from tests.integration.serve.conftest import GATEWAY_KEY, KEY_A, KEY_B
from tests.support.catalogs import LoopbackProvider, provider_yaml
from tests.support.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "Say hello"}]


class Gateway:
    """A running ``freegin-ai serve``; its stderr is collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "freegin_gitops", *args, "--port", "0"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for("listening on ").split("listening on ", 1)[1].split()[0]

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def _wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} on stderr: {self.lines}")

    def client(self, api_key: str = "unused") -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key=api_key, max_retries=0, timeout=20)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait()

    def wait(self) -> int:
        """The exit status of a gateway that was told to stop (no further signal: one sent
        while it finishes exiting, after its signal handlers are gone, would kill it)."""
        code = self.process.wait(20)
        self._reader.join(5)
        return code


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def write_repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    from tests.support.catalogs import write_loopback_catalog

    return write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider("alpha", server.url("alpha"), {"a1": ["chat"]}, "ALPHA_API_KEY"),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat", "code"]}, "BETA_API_KEY"),
        ],
    )


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    return write_repo(tmp_path, server)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ALPHA_API_KEY": KEY_A,
        "BETA_API_KEY": KEY_B,
        "GW_KEY": GATEWAY_KEY,
        "FREEGIN_DB": str(tmp_path / "usage.db"),
    }


@pytest.fixture
def start(repo: Path, env: dict[str, str]) -> Iterator[object]:
    started: list[Gateway] = []

    def run(*args: str, repo_path: Path = repo) -> Gateway:
        gateway = Gateway(["--repo", str(repo_path), "serve", *args], env)
        started.append(gateway)
        return gateway

    yield run
    for gateway in started:
        if gateway.process.poll() is None:
            gateway.process.kill()
            gateway.process.wait(10)


def rows(env: dict[str, str]) -> list[tuple[object, ...]]:
    with sqlite3.connect(env["FREEGIN_DB"]) as conn:
        return conn.execute(
            "SELECT provider, model, workload, success, error_kind, status_code, total_tokens"
            " FROM provider_usage ORDER BY id"
        ).fetchall()


def test_the_openai_sdk_gets_answers_plain_and_streamed_through_a_fallback(start, server, env):
    server.script("alpha", Reply(500, {"error": {"message": "boom"}}))
    server.script(
        "beta",
        Reply.answer("hello from beta", prompt_tokens=5, completion_tokens=3, total_tokens=8),
        Reply.stream(
            "hel", "lo ", "streamed", usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
        ),
    )
    gateway = start()
    client = gateway.client()

    plain = client.chat.completions.create(model="chat", messages=MESSAGES, temperature=0.1)
    assert plain.choices[0].message.content == "hello from beta"

    chunks = list(
        client.chat.completions.create(
            model="chat", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello streamed"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 8
    assert server.calls("beta")[1].body["stream_options"] == {"include_usage": True}

    assert gateway.stop() == 0
    assert rows(env) == [
        ("alpha", "a1", "chat", 0, "server_error", 500, None),
        ("beta", "b1", "chat", 1, None, 200, 8),
        ("alpha", "a1", "chat", 0, "server_error", 500, None),
        ("beta", "b1", "chat", 1, None, 200, 8),
    ]
    request_lines = [line for line in gateway.lines if "/v1/chat/completions" in line]
    assert len(request_lines) == 2
    assert all("answered_by=beta/b1 attempts=2" in line for line in request_lines)


def test_the_sdk_gets_not_found_for_an_unknown_model_and_the_model_list(start):
    client = start().client()
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert "chat, code, summarisation" in str(caught.value)
    ids = [m.id for m in client.models.list()]
    assert ids[:3] == ["chat", "code", "summarisation"]
    assert {"alpha/a1", "beta/b1"} <= set(ids)


def test_with_a_key_the_sdk_needs_it(start, server):
    server.script("alpha", Reply.answer("ok"))
    gateway = start("--api-key-env", "GW_KEY")
    with pytest.raises(openai.AuthenticationError):
        gateway.client("wrong-key").chat.completions.create(model="chat", messages=MESSAGES)
    with pytest.raises(openai.AuthenticationError):
        gateway.client("wrong-key").models.list()
    answer = gateway.client(GATEWAY_KEY).chat.completions.create(model="chat", messages=MESSAGES)
    assert answer.choices[0].message.content == "ok"
    assert len(server.calls("alpha")) == 1
    assert GATEWAY_KEY not in "\n".join(gateway.lines)


def test_a_non_loopback_host_refuses_to_start_without_a_key(repo, env):
    for args, message in (
        (["--host", "0.0.0.0"], "--host 0.0.0.0 is reachable from other machines: give --api-key-env"),
        (["--host", "127.0.0.1", "--api-key-env", "UNSET_GW_KEY"], "the variable UNSET_GW_KEY is not set"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "serve", *args, "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_sigterm_with_requests_in_flight_loses_no_row(start, server, env):
    server.script("alpha", Reply(**{**Reply.answer("slow ok").__dict__, "delay_s": 1.0}))
    gateway = start()
    client = gateway.client()
    count = 12
    with ThreadPoolExecutor(count) as pool:
        futures = [
            pool.submit(client.chat.completions.create, model="chat", messages=MESSAGES) for _ in range(count)
        ]
        deadline = time.monotonic() + 10
        while len(server.calls("alpha")) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(server.calls("alpha")) == count  # every request is at the provider now
        gateway.process.send_signal(signal.SIGTERM)
        answers = [f.result(timeout=20).choices[0].message.content for f in futures]
    assert answers == ["slow ok"] * count
    assert gateway.wait() == 0  # the SIGTERM above, and no other
    assert len(rows(env)) == count
    assert any("usage stored rows=12 lost=0" in line for line in gateway.lines)


def test_a_forced_stop_still_stores_the_usage_rows_queued(start, server, env):
    """A second Ctrl-C stops the gateway without waiting for the request in flight, and the rows
    of the attempts already made are stored all the same. The database is held locked by another
    connection meanwhile, so that they are still queued when the stop is forced."""
    server.script("alpha", Reply.answer("quick"))
    server.script("beta", Reply(**{**Reply.answer("slow").__dict__, "delay_s": 10.0}))
    gateway = start()
    client = gateway.client()
    lock = sqlite3.connect(env["FREEGIN_DB"], isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        for _ in range(4):
            assert client.chat.completions.create(model="chat", messages=MESSAGES).choices
            time.sleep(0.2)  # the first row's batch is taken, and waits for the lock
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(client.chat.completions.create, model="beta/b1", messages=MESSAGES)
            deadline = time.monotonic() + 10
            while not server.calls("beta") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert server.calls("beta")  # a request in flight: the first Ctrl-C waits for it
            gateway.process.send_signal(signal.SIGINT)
            time.sleep(0.3)
            gateway.process.send_signal(signal.SIGINT)  # the second forces the stop
            time.sleep(0.5)
            lock.execute("ROLLBACK")
            with pytest.raises(openai.APIStatusError) as stopped:
                slow.result(timeout=20)
    finally:
        lock.close()
    assert stopped.value.status_code == 503  # not a bare 500
    assert "the gateway stopped before this request was answered" in stopped.value.message
    assert gateway.wait() == 0
    assert [row[0] for row in rows(env)] == ["alpha"] * 4
    assert any("usage stored rows=4 lost=0" in line for line in gateway.lines)
    assert any("status=503" in line for line in gateway.lines)
    assert not any("Traceback" in line for line in gateway.lines)


def poll_models(gateway: Gateway, wanted: str, timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    ids: list[str] = []
    while time.monotonic() < deadline:
        ids = [m["id"] for m in httpx.get(f"{gateway.url}/models", timeout=5).json()["data"]]
        if wanted in ids:
            return ids
        time.sleep(0.05)
    raise AssertionError(f"{wanted} never listed: {ids}")


def add_model(repo: Path, server: FakeOpenAI, model: str) -> None:
    provider = LoopbackProvider(
        "beta", server.url("beta"), {"b1": ["chat", "code"], model: ["chat"]}, "BETA_API_KEY"
    )
    (repo / "catalog" / "providers" / "beta.yaml").write_text(provider_yaml(provider))


def test_sighup_reloads_the_catalog(start, repo, server):
    gateway = start("--reload-interval", "0")
    assert "beta/b2" not in poll_models(gateway, "beta/b1")
    add_model(repo, server, "b2")
    gateway.process.send_signal(signal.SIGHUP)
    poll_models(gateway, "beta/b2")
    gateway._wait_for("reloaded catalog")
    assert gateway.stop() == 0


def test_a_moved_compiled_file_is_reloaded_and_a_broken_catalog_is_not(start, repo, server, env):
    compiled = repo / "compiled" / "catalog.json"
    compile_ = [
        sys.executable,
        "-m",
        "freegin_gitops",
        "--repo",
        str(repo),
        "compile",
        "--output",
        str(compiled),
    ]
    subprocess.run(compile_, env=env, check=True, capture_output=True)
    gateway = start("--reload-interval", "0.1")
    poll_models(gateway, "beta/b1")

    add_model(repo, server, "b2")
    subprocess.run(compile_, env=env, check=True, capture_output=True)
    poll_models(gateway, "beta/b2")

    broken = repo / "catalog" / "providers" / "beta.yaml"
    broken.write_text(broken.read_text().replace("models:", "modles:"))
    line = gateway._wait_for("reload failed")
    assert "beta.yaml" in line and "still serving" in line
    server.script("beta", Reply.answer("still here"))
    answer = gateway.client().chat.completions.create(model="beta/b2", messages=MESSAGES)
    assert answer.choices[0].message.content == "still here"
    assert gateway.stop() == 0


def test_a_client_leaving_mid_stream_is_recorded_and_the_gateway_goes_on(start, server, env):
    slow = Reply.stream(*[f"w{n} " for n in range(50)])
    slow.event_delay_s = 0.05
    server.script("alpha", slow, Reply.answer("after"))
    gateway = start()
    with httpx.stream(
        "POST",
        f"{gateway.url}/chat/completions",
        json={"model": "chat", "messages": MESSAGES, "stream": True},
        timeout=10,
    ) as response:
        first = next(response.iter_bytes())
    assert first.startswith(b"data: ")
    answer = gateway.client().chat.completions.create(model="chat", messages=MESSAGES)
    assert answer.choices[0].message.content == "after"
    assert gateway.stop() == 0
    assert [(r[0], r[3]) for r in rows(env)] == [("alpha", 1), ("alpha", 1)]


def test_a_forced_stop_ends_a_stream_in_flight_with_an_error_event(start, server, env):
    slow = Reply.stream(*[f"w{n} " for n in range(100)])
    slow.event_delay_s = 0.1
    server.script("alpha", slow)
    gateway = start()
    stream = gateway.client().chat.completions.create(model="chat", messages=MESSAGES, stream=True)
    words = [next(stream).choices[0].delta.content]
    gateway.process.send_signal(signal.SIGINT)  # the first Ctrl-C waits for the stream
    time.sleep(0.3)
    gateway.process.send_signal(signal.SIGINT)  # the second does not
    with pytest.raises(openai.APIError, match="the gateway stopped before this request was answered"):
        for chunk in stream:
            words.append(chunk.choices[0].delta.content)
    assert 1 <= len(words) < 50  # it ended there, not after the provider's hundred words
    assert gateway.wait() == 0
    assert [(r[0], r[3]) for r in rows(env)] == [("alpha", 1)]  # recorded as far as it went
    assert not any("Traceback" in line for line in gateway.lines)


def test_a_request_still_in_flight_when_the_stop_time_runs_out_gets_a_503(start, server, env):
    server.script("alpha", Reply.answer("quick"))
    server.script("beta", Reply(**{**Reply.answer("slow").__dict__, "delay_s": 10.0}))
    gateway = start("--shutdown-timeout", "1")
    client = gateway.client()
    assert client.chat.completions.create(model="chat", messages=MESSAGES).choices
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(client.chat.completions.create, model="beta/b1", messages=MESSAGES)
        deadline = time.monotonic() + 10
        while not server.calls("beta") and time.monotonic() < deadline:
            time.sleep(0.01)
        gateway.process.send_signal(signal.SIGTERM)
        with pytest.raises(openai.APIStatusError) as stopped:
            slow.result(timeout=20)
    assert stopped.value.status_code == 503
    assert gateway.wait() == 0
    assert [row[0] for row in rows(env)] == ["alpha"]  # the answered attempt, stored on the way out
    assert not any("Traceback" in line for line in gateway.lines)
