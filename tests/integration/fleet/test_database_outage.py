"""The PostgreSQL database lost while the gateway serves, and back: the gateway keeps routing
(budgets and cool-downs from memory), keeps the usage rows and writes them when the database
answers again, and says so on stderr and in ``/v1/freegin/status``. The app runs in process; the
database is the real server behind a TCP proxy the test cuts."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from starlette.testclient import TestClient

from freegin_gitops.adapters.usage_pg import PostgresUsageStore
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.serve.app import GatewayService, build_app
from freegin_gitops.services.serve.catalog_watch import CatalogSource
from freegin_gitops.services.serve.request_log import RequestLog
from freegin_gitops.services.serve.settings import ServeSettings
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.tcp_proxy import TcpProxy

KEY = "sk-alpha-test-0123456789abcdef"
BODY = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer("from alpha"))
        yield fake


@pytest.fixture
def proxied(postgres_url: str) -> Iterator[tuple[TcpProxy, str]]:
    real = urlsplit(postgres_url)
    with TcpProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        yield proxy, postgres_url.replace(real.netloc, f"127.0.0.1:{proxy.port}", 1)


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} within {timeout} s"
        time.sleep(0.05)


def test_the_gateway_routes_through_an_outage_and_stores_every_row_afterwards(
    tmp_path: Path, server: FakeOpenAI, proxied: tuple[TcpProxy, str], postgres_url: str
):
    proxy, url = proxied
    repo = write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha",
                server.url("alpha"),
                {"a1": ["chat"], "a2": ["chat"]},
                "ALPHA_API_KEY",
                model_limits={"a1": "{requests_per_day: 3}"},
            )
        ],
    )
    log = io.StringIO()
    with PostgresUsageStore(url) as store:
        service = GatewayService(
            ServeSettings(reload_interval_s=0),
            CatalogSource(CatalogRepo(repo, "--repo"), None),
            {"ALPHA_API_KEY": KEY},
            store,
            log=RequestLog("text", False, log),
            shared_store=True,
        )
        with TestClient(build_app(service)) as client:

            def status() -> dict:
                return client.get("/v1/freegin/status").json()

            def ask() -> str:
                response = client.post("/v1/chat/completions", json=BODY)
                assert response.status_code == 200, response.text
                return response.headers["x-freegin-model"]

            assert ask() == "a1"
            wait_until(lambda: status()["usage"]["queued"] == 0, "stored")
            proxy.cut()  # the database goes away
            answered = [ask() for _ in range(5)]
            usage = status()["usage"]
            assert usage["database"]["reachable"] is False
            assert usage["database"]["unreachable_since"] is not None
            assert usage["database"]["last_error"].startswith(
                f"the usage database postgresql://127.0.0.1:{proxy.port}/"
            )
            assert usage["queued"] == 5 and usage["lost"] == 0
            # Budgets from memory: one a1 call counted before, two more now, then a2.
            assert answered == ["a1", "a1", "a2", "a2", "a2"]
            proxy.restore()  # and comes back
            wait_until(lambda: status()["usage"]["database"]["reachable"], "reachable again")
            wait_until(lambda: status()["usage"]["queued"] == 0, "the kept rows stored")
            assert status()["usage"]["written"] == 6
            assert ask() == "a2"  # the budget is counted in the database again: 3 of 3
    lines = log.getvalue().splitlines()
    gone = [line for line in lines if "routing goes on with budgets and cool-downs from memory" in line]
    back = [line for line in lines if "the usage database answers again" in line]
    assert len(gone) == 1 and len(back) == 1, lines
    with psycopg.connect(postgres_url) as db:
        assert db.execute(
            "SELECT model, count(*) FROM provider_usage GROUP BY model ORDER BY model"
        ).fetchall() == [
            ("a1", 3),
            ("a2", 4),
        ]


def test_a_429_during_an_outage_cools_the_model_down_from_memory_and_is_stored_when_back(
    tmp_path: Path, server: FakeOpenAI, proxied: tuple[TcpProxy, str], postgres_url: str
):
    proxy, url = proxied
    url += "&password=hunter2-never-shown"  # the server trusts the test: a password is ignored
    repo = write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("alpha", server.url("alpha"), {"a1": ["chat"], "a2": ["chat"]}, "ALPHA_API_KEY")],
    )
    log = io.StringIO()
    with PostgresUsageStore(url) as store:
        service = GatewayService(
            ServeSettings(reload_interval_s=0),
            CatalogSource(CatalogRepo(repo, "--repo"), None),
            {"ALPHA_API_KEY": KEY},
            store,
            log=RequestLog("text", False, log),
            shared_store=True,
        )
        with TestClient(build_app(service)) as client:

            def ask() -> str:
                response = client.post("/v1/chat/completions", json=BODY)
                assert response.status_code == 200, response.text
                return response.headers["x-freegin-model"]

            assert ask() == "a1"
            proxy.cut()
            server.script(
                "alpha",
                Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "600"}),
                Reply.answer("ok"),
            )
            assert [ask() for _ in range(4)] == ["a2"] * 4  # a1 said 429 once, and is left alone
            a1_calls = [r for r in server.calls("alpha") if r.body["model"] == "a1"]
            assert len(a1_calls) == 2  # before the outage, and the 429
            # The writer finds the database gone when it next stores a batch.
            wait_until(
                lambda: client.get("/v1/freegin/status").json()["usage"]["database"]["reachable"] is False,
                "the outage seen",
            )
            status = client.get("/v1/freegin/status").json()
            assert status["usage"]["database"]["last_error"].startswith(
                f"the usage database postgresql://127.0.0.1:{proxy.port}/"
            )
            assert "password=***" in status["usage"]["database"]["last_error"]
            assert "hunter2" not in json.dumps(status)
            a1 = next(c for c in status["workloads"]["chat"] if c["model"] == "a1")
            assert a1["cooling_down_until"] is not None and not a1["usable"]
            proxy.restore()
            wait_until(lambda: client.get("/v1/freegin/status").json()["usage"]["queued"] == 0, "stored")
    assert "hunter2" not in log.getvalue() and "password=***" in log.getvalue()
    with psycopg.connect(postgres_url) as db:
        cooling = db.execute("SELECT provider, model, until_epoch > extract(epoch FROM now()) FROM cooldown")
        assert cooling.fetchall() == [("alpha", "a1", True)]  # another gateway sees it now
        assert db.execute("SELECT count(*) FROM provider_usage").fetchone() == (6,)
