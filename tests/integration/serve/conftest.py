"""The gateway in process: the real app over a real loopback provider server and a real SQLite
file, driven by Starlette's TestClient (which runs the app's lifespan)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.serve.app import GatewayService, build_app
from freegin_gitops.services.serve.catalog_watch import CatalogSource
from freegin_gitops.services.serve.request_log import RequestLog
from freegin_gitops.services.serve.settings import ServeSettings
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI

KEY_A = "sk-alpha-test-0123456789abcdef"
KEY_B = "sk-beta-test-fedcba9876543210"
GATEWAY_KEY = "gw-key-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha", server.url("alpha"), {"a1": ["chat"], "a2": ["chat", "code"]}, "ALPHA_API_KEY"
            ),
            LoopbackProvider("beta", server.url("beta"), {"b1": ["chat", "code"]}, "BETA_API_KEY"),
        ],
    )


ENV = {"ALPHA_API_KEY": KEY_A, "BETA_API_KEY": KEY_B}


class Running:
    def __init__(self, client: TestClient, service: GatewayService, log: io.StringIO, db: Path) -> None:
        self.client = client
        self.service = service
        self._log = log
        self.db = db

    @property
    def log_lines(self) -> list[str]:
        return self._log.getvalue().splitlines()

    def rows(self) -> list[dict[str, object]]:
        """The usage rows, once the writer has stored what is queued (it writes off the request
        path, so a row may still be queued when the client has its answer)."""
        portal = getattr(self.client, "portal", None)  # None once the app has stopped (and stored all)
        if self.service.writer is not None and portal is not None:
            portal.call(self.service.writer.flush)
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM provider_usage ORDER BY id")]


@pytest.fixture
def gateway(repo: Path, tmp_path: Path) -> Callable[..., object]:
    """``with gateway(**settings) as running:`` the app in process, lifespan and all."""

    @contextmanager
    def start(
        environ: dict[str, str] | None = None, ref: str | None = None, **settings: object
    ) -> Iterator[Running]:
        settings.setdefault("reload_interval_s", 0)
        db = tmp_path / "usage.db"
        log = io.StringIO()
        with UsageStore(db) as store:
            service = GatewayService(
                ServeSettings(ref=ref, **settings),  # type: ignore[arg-type]
                CatalogSource(CatalogRepo(repo, "--repo"), ref),
                ENV if environ is None else environ,
                store,
                log=RequestLog(
                    str(settings.get("log_format", "text")), bool(settings.get("log_prompts")), log
                ),
            )
            with TestClient(build_app(service), raise_server_exceptions=True) as client:
                yield Running(client, service, log, db)

    return start
