"""Caches and a kept compiled file only make things faster: a changed catalog is always noticed,
and damaged caches are never trusted (the answers are those of a run without any cache)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from freegin_gitops.adapters import cache_file
from freegin_gitops.services.catalog import snapshot
from tests.helpers import Cli, git


@pytest.fixture(autouse=True)
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust a file's recorded state at once (in use, a file must be quiet for two seconds)."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


def cache_root() -> Path:
    return Path(os.environ["FREEGIN_CACHE_DIR"])


def cache_files(kind: str) -> list[Path]:
    return sorted(p for p in (cache_root() / kind).rglob("*") if p.is_file())


def uncached(cli: Cli, *args: str | Path) -> str:
    """The output of a run that finds no cache at all."""
    shutil.rmtree(cache_root(), ignore_errors=True)
    run = cli(*args)
    assert run.code == 0, run.stderr
    return run.stdout


def same_size_edit(path: Path, old: bytes, new: bytes) -> None:
    """Change ``path`` without changing its size or modification time."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_an_edit_that_keeps_size_and_time_is_noticed(cli: Cli, catalog_repo: Path) -> None:
    assert cli("--repo", catalog_repo, "route", "--provider", "groq", "--json").code == 0
    assert cli("--repo", catalog_repo, "validate").code == 0
    same_size_edit(catalog_repo / "catalog/providers/groq.yaml", b"id: llama-3.3-70b", b"id: llama-9.9-70b")
    routed = json.loads(cli("--repo", catalog_repo, "route", "--provider", "groq", "--json").stdout)
    assert "llama-9.9-70b-versatile" in [c["model"] for c in routed["candidates"]]
    listed = json.loads(cli("--repo", catalog_repo, "list-models", "--provider", "groq", "--json").stdout)
    assert "llama-9.9-70b-versatile" in [r["model"] for r in listed]
    same_size_edit(catalog_repo / "catalog/workloads.yaml", b"chat:", b"chut:")
    run = cli("--repo", catalog_repo, "validate")
    assert (run.code, "chat" in run.stdout) == (1, True), run.stdout


def test_a_new_or_removed_file_is_noticed(cli: Cli, catalog_repo: Path) -> None:
    assert cli("--repo", catalog_repo, "validate").code == 0
    stray = catalog_repo / "catalog/providers/extra.yml"
    stray.write_text("provider: extra\n")
    assert cli("--repo", catalog_repo, "validate").code == 1
    stray.unlink()
    assert cli("--repo", catalog_repo, "validate").code == 0
    (catalog_repo / "catalog/suggestions/groq.yaml").unlink()
    listed = json.loads(cli("--repo", catalog_repo, "list-models", "--json").stdout)
    assert all(r["origin"] == "catalog" for r in listed)


@pytest.mark.parametrize(
    "command",
    [
        ("list-models", "--json"),
        ("list-models", "--provider", "groq", "--json", "--status", "all"),
        ("route", "--workload", "code", "--json", "--all"),
        ("compile",),
        ("validate", "--format", "json"),
    ],
)
@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "wrong shape"])
def test_damaged_caches_are_misses(
    cli: Cli, catalog_repo: Path, command: tuple[str, ...], damage: str
) -> None:
    expected = uncached(cli, "--repo", catalog_repo, *command)
    assert cli("--repo", catalog_repo, *command).stdout == expected  # from the cache
    damaged = [p for p in cache_root().rglob("*") if p.is_file()]
    assert damaged
    for path in damaged:
        data = path.read_bytes()
        if damage == "garbage":
            path.write_bytes(b"not a cache file")
        elif damage == "truncated":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "flipped":  # one byte of the payload changed, the checksum kept
            path.write_bytes(data[:-2] + bytes([data[-2] ^ 0x01]) + data[-1:])
        else:  # a whole, checksummed file of the wrong shape
            cache_file.write(path, b"[1, 2]")
    run = cli("--repo", catalog_repo, *command)
    assert (run.code, run.stdout) == (0, expected), run.stderr


def test_compiled_output_follows_the_commit_and_uncommitted_changes(cli: Cli, catalog_repo: Path) -> None:
    first = json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]
    assert first["commit"] == git(catalog_repo, "rev-parse", "HEAD").strip()
    assert first["dirty"] is False
    groq = catalog_repo / "catalog/providers/groq.yaml"
    groq.write_text(groq.read_text() + "# edited\n")
    dirty = json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]
    assert (dirty["dirty"], dirty["content_sha256"] != first["content_sha256"]) == (True, True)
    git(catalog_repo, "commit", "-qam", "edit")
    again = json.loads(cli("--repo", catalog_repo, "compile").stdout)["source"]
    assert again == {**dirty, "dirty": False, "commit": git(catalog_repo, "rev-parse", "HEAD").strip()}


def test_compiling_an_unchanged_catalog_leaves_the_file_alone(cli: Cli, catalog_repo: Path) -> None:
    out = catalog_repo / "compiled" / "catalog.json"
    run = cli("--repo", catalog_repo, "compile", "--output", out)
    assert (run.code, run.stderr.startswith(f"wrote {out}")) == (0, True)
    written = out.stat()
    run = cli("--repo", catalog_repo, "compile", "--output", out)
    assert (run.code, run.stderr.startswith(f"{out} is up to date")) == (0, True)
    assert (out.stat().st_ino, out.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    out.write_bytes(out.read_bytes().replace(b'"groq"', b'"grok"'))
    assert cli("--repo", catalog_repo, "compile", "--output", out).stderr.startswith(f"wrote {out}")
    assert out.read_bytes() == uncached(cli, "--repo", catalog_repo, "compile").encode()


def test_a_kept_compiled_file_that_is_not_valid_is_not_trusted(cli: Cli, catalog_repo: Path) -> None:
    kept = catalog_repo / "compiled" / "catalog.json"
    assert cli("--repo", catalog_repo, "compile", "--output", kept).code == 0
    document = json.loads(kept.read_text())
    document["providers"]["groq"]["api"] = {"style": "openai"}  # base_url gone, hash unchanged
    kept.write_text(json.dumps(document))
    shutil.rmtree(cache_root() / "routing", ignore_errors=True)
    run = cli("--repo", catalog_repo, "route", "--json")
    assert run.code == 0, run.stderr
    assert any(c["provider"] == "groq" for c in json.loads(run.stdout)["candidates"])


def test_a_symlinked_catalog_file_is_read_every_time(cli: Cli, catalog_repo: Path) -> None:
    groq = catalog_repo / "catalog/providers/groq.yaml"
    target = groq.with_name(".groq-shared.yaml")  # hidden: not a catalog file itself
    shutil.move(groq, target)
    groq.symlink_to(target.name)
    first = cli("--repo", catalog_repo, "route", "--provider", "groq", "--json")
    assert first.code == 0, first.stderr
    same_size_edit(target, b"id: llama-3.3-70b", b"id: llama-9.9-70b")  # the link itself is unchanged
    routed = json.loads(cli("--repo", catalog_repo, "route", "--provider", "groq", "--json").stdout)
    assert "llama-9.9-70b-versatile" in [c["model"] for c in routed["candidates"]]
