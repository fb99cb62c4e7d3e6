"""Loading a catalog from bytes: the schema line, problems with positions."""

from __future__ import annotations

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.services.catalog.loading import load_files, parse_file
from tests.helpers import ROOT


def test_the_starter_catalog_loads() -> None:
    result = load_files(read_catalog_dir(ROOT))
    assert (result.problems, "groq" in result.require_catalog().providers) == ((), True)


def test_a_schema_line_for_another_kind_is_a_problem() -> None:
    raw = (ROOT / "catalog" / "providers" / "groq.yaml").read_bytes()
    wrong = raw.replace(b"provider.schema.json", b"config.schema.json", 1)
    (problem,) = parse_file("catalog/providers/groq.yaml", wrong).problems
    assert (problem.line, "but this is a provider file" in problem.message) == (1, True)


def test_an_unknown_key_points_at_the_key_itself() -> None:
    raw = (
        b"# yaml-language-server: $schema=../schemas/workloads.schema.json\n"
        b"workloads:\n  chat: {description: c}\n  summarisation: {description: s}\n"
        b"  code: {description: c, max_latencyms: 10}\n"
    )
    (problem,) = parse_file("catalog/workloads.yaml", raw).problems
    assert (problem.line, problem.col, problem.message) == (
        5,
        26,
        "unknown key 'max_latencyms'; did you mean 'max_latency_ms'?",
    )


def test_content_hash_covers_paths_and_bytes() -> None:
    files = {"catalog/a.yaml": b"x", "catalog/b.yaml": b"y"}
    hashes = {
        load_files(files).content_sha256,
        load_files({"catalog/a.yaml": b"x", "catalog/c.yaml": b"y"}).content_sha256,
        load_files({"catalog/a.yaml": b"x", "catalog/b.yaml": b"z"}).content_sha256,
        load_files({"catalog/a.yaml": b"xy", "catalog/b.yaml": b""}).content_sha256,
    }
    assert len(hashes) == 4
