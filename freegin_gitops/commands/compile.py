"""``freegin-ai compile``."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit_bytes, note
from freegin_gitops.errors import BadUsage
from freegin_gitops.services.catalog.compiled_file import compile_repo, is_stale, write_output


def run(options: GlobalOptions, *, output: str, check: bool) -> int:
    if check and output == "-":
        raise BadUsage("--check needs --output PATH: the compiled file to compare")
    repo = catalog_repo(options)
    compiled = compile_repo(repo)
    if check:
        reason = is_stale(Path(output), compiled)
        if reason:
            note(f"freegin-ai: {reason}; run: freegin-ai compile --output {output}")
            return 1
        note(f"{output} is up to date")
        return 0
    if output == "-":
        emit_bytes(compiled.data)
        return 0
    wrote = write_output(Path(output), compiled)
    sha = compiled.content_sha256[:12]
    note(
        f"wrote {output} (content sha256 {sha})"
        if wrote
        else f"{output} is up to date (content sha256 {sha})"
    )
    return 0
