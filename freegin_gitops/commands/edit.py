"""``freegin-ai adopt-model``, ``retire-model``, ``reject-model`` and ``deprecate-model``: one
edit, applied and (optionally) committed, then one line saying what changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.services.catalog.repo import resolve_repo
from freegin_gitops.services.edits import EditResult
from freegin_gitops.services.edits import session as edit_session

Edit = Callable[[Mapping[str, bytes], dt.datetime], EditResult]


def run(options: GlobalOptions, *, command: str, edit: Edit, commit: bool) -> int:
    repo = resolve_repo(options.repo)
    now = dt.datetime.now(dt.UTC)
    applied = edit_session.apply(repo, command, lambda files: edit(files, now), commit=commit)
    if applied.recovered:
        note(f"freegin-ai: {applied.recovered}")
    compiled_note = f"; {COMPILED_FILE} regenerated" if applied.compiled else ""
    commit_note = f" (commit {applied.commit[:12]})" if applied.commit else ""
    emit(f"{applied.result.summary}{compiled_note}{commit_note}\n")
    return 0
