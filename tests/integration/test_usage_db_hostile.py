"""The usage database as it is found in the wild: tables missing behind a current schema version,
pages overwritten, a file that is not SQLite, a file and folder that cannot be written. Real
SQLite files, a real loopback provider, the real command line.

``ask`` still prints the answer it got when only the usage write failed (exit 0, one warning);
``list-models`` lists the catalog and says why figures are missing; a read-only database reads;
a file that cannot be opened as a database is one sentence and exit 1.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_schema import MIGRATIONS
from tests.helpers import Cli
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_openai import FakeOpenAI, Reply


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer("the answer"))
        yield fake


@pytest.fixture
def repo(tmp_path: Path, server: FakeOpenAI) -> Path:
    return write_loopback_catalog(
        tmp_path / "repo", [LoopbackProvider("alpha", server.url("alpha"), {"a1": ["chat"]})]
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "usage" / "usage.db"


def ask(cli: Cli, repo: Path, db: Path):
    return cli("--repo", repo, "--db", db, "ask", "hello")


def test_tables_missing_behind_a_current_schema_version(cli: Cli, repo: Path, db: Path):
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    run = ask(cli, repo, db)
    assert run.code == 0, run.stderr
    assert run.stdout == "the answer\n"
    warning = [line for line in run.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1
    assert warning[0].startswith(
        f"freegin-ai: warning: usage was not recorded: cool-downs cannot be read from the usage "
        f"database {db}: it lacks the tables its schema version promises (no such table: "
    )
    assert warning[0].endswith("; move it aside or name another with --db")


def _damage(db: Path) -> None:
    """Overwrite every page after the first (the header stays, so SQLite opens it)."""
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4 + 1024))


def test_damaged_pages_are_one_sentence(cli: Cli, repo: Path, db: Path, server):
    assert ask(cli, repo, db).code == 0  # a real database with a row
    calls = len(server.calls("alpha"))
    _damage(db)
    for command in (("ask", "hello"), ("route",), ("list-models",)):
        run = cli("--repo", repo, "--db", db, *command)
        assert run.code == 1, command
        assert run.stderr.startswith("freegin-ai: cannot "), command
        assert run.stderr.endswith(
            f"the usage database {db}: it is damaged (database disk image is malformed); move it "
            "aside or name another with --db\n"
        ), command
        assert run.stderr.count("\n") == 1
    assert len(server.calls("alpha")) == calls


def test_an_answer_whose_usage_cannot_be_written_is_still_printed(cli: Cli, repo: Path, db: Path):
    assert ask(cli, repo, db).code == 0
    with sqlite3.connect(db) as conn:  # the database refuses every new row, as a full disk would
        conn.execute(
            "CREATE TRIGGER full BEFORE INSERT ON provider_usage "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    run = ask(cli, repo, db)
    assert run.code == 0, run.stderr
    assert run.stdout == "the answer\n"
    assert run.stderr.splitlines()[-1] == (
        f"freegin-ai: warning: usage was not recorded: usage could not be recorded in the usage "
        f"database {db}: database or disk is full; move it aside or name another with --db"
    )
    listing = cli("--repo", repo, "--db", db, "list-models", "--json")
    assert listing.code == 0 and json.loads(listing.stdout)[0]["calls"] == 1


def test_a_file_that_is_not_a_database_is_one_sentence(cli: Cli, repo: Path, db: Path, server):
    db.parent.mkdir()
    db.write_bytes(b"this is a text file, not SQLite\n" * 200)
    for command in (("ask", "hello"), ("route",), ("list-models",)):
        run = cli("--repo", repo, "--db", db, *command)
        assert run.code == 1, command
        assert run.stderr.endswith(
            f"the usage database {db}: it is damaged (file is not a database); move it aside or "
            "name another with --db\n"
        ), command
        assert run.stderr.count("\n") == 1
    assert server.calls("alpha") == []  # nothing is called without somewhere to record it


def test_a_read_only_database_in_a_read_only_folder_is_read(cli: Cli, repo: Path, db: Path):
    assert ask(cli, repo, db).code == 0
    assert ask(cli, repo, db).code == 0
    db.chmod(0o444)
    db.parent.chmod(0o555)
    command = [
        sys.executable,
        "-m",
        "freegin_gitops",
        "--repo",
        str(repo),
        "--db",
        str(db),
        "list-models",
        "--json",
    ]
    if os.geteuid() == 0:  # root writes anything: drop the capabilities that let it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        db.parent.chmod(0o755)
        db.chmod(0o644)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["model"], r["calls"]) for r in rows] == [("a1", 2)]
    assert done.stderr == ""


@pytest.mark.timeout(60)  # SQLite opening a FIFO waited for a writer for ever
@pytest.mark.parametrize("kind", ["fifo", "folder", "fifo journal"])
def test_a_database_that_is_not_a_regular_file_is_one_sentence(cli: Cli, repo: Path, db: Path, server, kind):
    db.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(db)
    elif kind == "folder":
        db.mkdir()
    else:
        assert ask(cli, repo, db).code == 0
        os.mkfifo(db.with_name(db.name + "-journal"))
    calls = len(server.calls("alpha"))
    bad = db if kind != "fifo journal" else db.with_name(db.name + "-journal")
    for command in (("list-models",), ("route",), ("ask", "hello")):
        run = cli("--repo", repo, "--db", db, *command)
        assert run.code == 1, command
        assert run.stderr == (
            f"freegin-ai: cannot open the usage database {db}: {bad} is not a regular file; "
            "move it aside or name another with --db\n"
        ), command
    assert len(server.calls("alpha")) == calls
