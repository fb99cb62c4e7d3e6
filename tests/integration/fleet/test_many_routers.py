"""Many routers, one PostgreSQL database: real processes routing real calls to a loopback
provider, all recording in one schema of the real server."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-alpha-test-0123456789abcdef"
PROCESSES, CALLS = 8, 200


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer("ok"))
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("alpha", server.url("alpha"), {"a1": ["chat", "code"]}, "ALPHA_API_KEY")],
    )


def _route(repo: str, url: str, workload: str, calls: int) -> None:
    """One router process: ``calls`` routed calls, each attempt recorded as ``ask`` records it."""
    from freegin_gitops.services.catalog.repo import resolve_repo
    from freegin_gitops.services.routing.session import open_router

    os.environ["ALPHA_API_KEY"] = KEY
    with open_router(resolve_repo(Path(repo)), None, url, create_db=True) as router:
        for _ in range(calls):
            router.call(router.plan(workload), [{"role": "user", "content": "hi"}])


def test_eight_processes_of_two_hundred_calls_leave_sixteen_hundred_rows(repo, server, postgres_url):
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_route, args=(str(repo), postgres_url, ("chat", "code")[n % 2], CALLS))
        for n in range(PROCESSES)
    ]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    assert len(server.calls("alpha")) == PROCESSES * CALLS
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*), count(DISTINCT id) FROM provider_usage").fetchone() == (
            1600,
            1600,
        )
        assert db.execute("SELECT sum(calls) FROM usage_rollup").fetchone() == (1600,)
        assert db.execute("SELECT sum(requests) FROM usage_minute WHERE model = ''").fetchone() == (1600,)


def list_models(repo: Path, url: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "--db", url, "list-models", "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ALPHA_API_KEY": KEY},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_list_models_reads_the_same_figures_from_any_process(repo, server, postgres_url):
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_route, args=(str(repo), postgres_url, "chat", 25)) for _ in range(2)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    first, second = list_models(repo, postgres_url), list_models(repo, postgres_url)
    assert first == second
    chat = [r for r in first if r["workload"] == "chat"]
    assert [(r["model"], r["calls"], r["success_rate"]) for r in chat] == [("a1", 50, 1.0)]
