"""``freegin-ai retire-model``."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.cli.options import GlobalOptions
from freegin_gitops.cli.output import emit
from freegin_gitops.services import edit_session
from freegin_gitops.services.edits import retire
from freegin_gitops.services.repo import resolve_repo


def run(
    options: GlobalOptions,
    provider: str,
    model: str,
    workload: str | None,
    reason: str | None,
    commit: bool,
) -> int:
    repo = resolve_repo(options.repo)
    now = dt.datetime.now(dt.UTC)
    applied = edit_session.apply(
        repo,
        "retire-model",
        lambda files: retire(files, provider, model, workload, reason, now=now),
        commit=commit,
    )
    commit_note = f" (commit {applied.commit[:12]})" if applied.commit else ""
    emit(f"{applied.result.summary}{commit_note}\n")
    return 0
