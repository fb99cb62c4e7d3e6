"""Caches and a kept compiled file only make things faster: damaged ones are never trusted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import Cli


def cache_files(kind: str) -> list[Path]:
    return sorted((Path(os.environ["FREEGIN_CACHE_DIR"]) / kind).glob("*"))


@pytest.mark.parametrize(
    "damage",
    [
        b"not json",
        b'{"fingerprint": 1}',
        b"[1, 2]",
    ],
)
def test_a_damaged_parse_cache_is_a_miss(cli: Cli, catalog_repo: Path, damage: bytes) -> None:
    assert cli("--repo", catalog_repo, "validate").code == 0
    for path in cache_files("parsed"):
        path.write_bytes(damage)
    run = cli("--repo", catalog_repo, "list-models", "--json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)


def test_damaged_entries_in_the_parse_cache_are_parsed_again(cli: Cli, catalog_repo: Path) -> None:
    assert cli("--repo", catalog_repo, "compile").code == 0
    (files,) = [p for p in cache_files("parsed") if p.suffix == ".files"]
    stored = json.loads(files.read_text())
    for path in stored["files"]:
        stored["files"][path][4] = "not a list of problems"
    files.write_text(json.dumps(stored))
    groq = catalog_repo / "catalog/providers/groq.yaml"
    groq.write_text(groq.read_text() + "# edited: the stored result no longer applies\n")
    run = cli("--repo", catalog_repo, "validate", "--format", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["ok"] is True


def test_a_kept_compiled_file_that_is_not_valid_is_not_trusted(cli: Cli, catalog_repo: Path) -> None:
    kept = catalog_repo / "compiled" / "catalog.json"
    assert cli("--repo", catalog_repo, "compile", "--output", kept).code == 0
    document = json.loads(kept.read_text())
    document["providers"]["groq"]["api"] = {"style": "openai"}  # base_url gone, hash unchanged
    kept.write_text(json.dumps(document))
    run = cli("--repo", catalog_repo, "route", "--json")
    assert run.code == 0, run.stderr
    assert any(c["provider"] == "groq" for c in json.loads(run.stdout)["candidates"])
