"""The real PostgreSQL server of the test machine, one fresh schema per test.

Tests read the server's URL from ``FREEGIN_TEST_POSTGRES_URL`` (``.ci/run`` sets it to
``postgresql://127.0.0.1:5432/test``). Without it the PostgreSQL tests are skipped, saying why;
``pytest --require-postgres`` (as ``.ci/run`` runs them) fails them instead, so CI cannot pass
by skipping them. Each test gets its own schema, created and dropped around it, and a URL whose
``search_path`` points into it, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest

URL_VARIABLE = "FREEGIN_TEST_POSTGRES_URL"
SKIP_REASON = f"{URL_VARIABLE} is not set (e.g. postgresql://127.0.0.1:5432/test): no server to test against"


def server_url(config: pytest.Config) -> str:
    """The server to test against; skips (or fails, with ``--require-postgres``) without one."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        if config.getoption("--require-postgres"):
            pytest.fail(f"--require-postgres: {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    return url


def in_schema(url: str, schema: str) -> str:
    """``url`` with its ``search_path`` set to ``schema`` (where the store makes its tables)."""
    option = "options=" + quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}{option}"


def execute(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as db:
        for statement in statements:
            db.execute(statement)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new, empty schema on the server at ``url``; the URL that uses it. Dropped afterwards,
    with whatever the test made in it."""
    schema = f"freegin_test_{uuid.uuid4().hex[:12]}"
    execute(url, f'CREATE SCHEMA "{schema}"')
    try:
        yield in_schema(url, schema)
    finally:
        execute(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
