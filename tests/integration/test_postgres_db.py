"""The command line with a PostgreSQL usage database: ``--db postgresql://...`` or
``FREEGIN_DB``, a real loopback provider, the real server (a schema of the test's own)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from freegin_gitops.adapters.usage_pg_schema import MIGRATIONS
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.postgres import execute

KEY = "sk-alpha-test-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALPHA_API_KEY", KEY)
    return write_loopback_catalog(
        tmp_path / "repo",
        [LoopbackProvider("alpha", server.url("alpha"), {"a1": ["chat"], "a2": ["chat"]}, "ALPHA_API_KEY")],
    )


def usage_rows(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT provider, model, workload, success, error_kind, status_code, total_tokens "
            "FROM provider_usage ORDER BY id"
        ).fetchall()


def test_ask_records_every_attempt_in_postgresql_and_list_models_shows_them(cli, repo, server, postgres_url):
    server.script("alpha", Reply(500, {"error": {"message": "boom"}}), Reply.answer("hi"))
    run = cli("--repo", repo, "--db", postgres_url, "ask", "Say hello")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "hi"
    assert usage_rows(postgres_url) == [
        ("alpha", "a1", "chat", False, "server_error", 500, None),
        ("alpha", "a2", "chat", True, None, 200, 10),
    ]
    listing = cli("--repo", repo, "list-models", "--json", "--db", postgres_url)
    assert listing.code == 0, listing.stderr
    figures = {(r["model"], r["calls"], r["success_rate"]) for r in json.loads(listing.stdout)}
    assert figures == {("a1", 1, 0.0), ("a2", 1, 1.0)}


def test_freegin_db_may_name_the_database(cli, repo, server, postgres_url, monkeypatch):
    monkeypatch.setenv("FREEGIN_DB", postgres_url)
    server.script("alpha", Reply.answer("hi"))
    assert cli("--repo", repo, "ask", "Say hello").code == 0
    assert len(usage_rows(postgres_url)) == 1


def test_route_and_list_models_create_no_tables(cli, repo, postgres_url):
    assert cli("--repo", repo, "--db", postgres_url, "route").code == 0
    assert cli("--repo", repo, "--db", postgres_url, "list-models").code == 0
    with psycopg.connect(postgres_url) as db:
        assert db.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone() == (0,)


def serve_once(repo: Path, url: str) -> subprocess.CompletedProcess[str]:
    """``freegin-ai serve`` as a real process, which must stop by itself (before binding)."""
    return subprocess.run(
        [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "--db", url, "serve", "--port", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_database_is_one_sentence_and_exit_1(cli, repo, server):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    url = f"postgresql://ada:s3cret-pass-word@127.0.0.1:{port}/usage"
    runs = {
        command[0]: cli("--repo", repo, "--db", url, *command)
        for command in (("ask", "Say hello"), ("list-models",), ("route",))
    }
    runs["serve"] = serve_once(repo, url)
    for command, run in runs.items():
        code = run.code if hasattr(run, "code") else run.returncode
        assert code == 1, (command, run)
        # The store shows postgresql://ada:***@...; main's last guard masks the whole user part.
        assert run.stderr.startswith("freegin-ai: the usage database postgresql://***@127.0.0.1:"), command
        assert run.stderr.endswith(
            f":{port}/usage cannot be reached: connection to server at "
            f'"127.0.0.1", port {port} failed: Connection refused\n'
        ), (command, run.stderr)
        assert run.stderr.count("\n") == 1, (command, run.stderr)
        assert "s3cret" not in run.stderr + run.stdout
    assert server.requests == []  # nothing was called without somewhere to record it


def test_a_database_of_a_newer_freegin_ai_is_refused_by_every_command(cli, repo, server, postgres_url):
    server.script("alpha", Reply.answer("hi"))
    assert cli("--repo", repo, "--db", postgres_url, "ask", "Say hello").code == 0
    execute(postgres_url, "INSERT INTO freegin_migrations (version, name) VALUES (99, 'from the future')")
    before = usage_rows(postgres_url)
    runs = {
        command[0]: cli("--repo", repo, "--db", postgres_url, *command)
        for command in (("ask", "Say hello"), ("list-models",), ("route",))
    }
    runs["serve"] = serve_once(repo, postgres_url)
    for command, run in runs.items():
        code = run.code if hasattr(run, "code") else run.returncode
        assert code == 1, (command, run)
        assert run.stderr.startswith("freegin-ai: the usage database postgresql://"), (command, run.stderr)
        assert run.stderr.endswith(
            f"has schema version 99, newer than this freegin-ai knows ({len(MIGRATIONS)}); "
            "upgrade freegin-ai or use another --db\n"
        ), (command, run.stderr)
        assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert len(server.requests) == 1  # only the first ask reached the provider
    assert usage_rows(postgres_url) == before
