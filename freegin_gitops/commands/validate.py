"""``freegin-ai validate``."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core import reporting
from freegin_gitops.services.catalog.validation import validate


def run(options: GlobalOptions, paths: list[Path], output_format: str) -> int:
    repo = catalog_repo(options)
    report = validate(repo, paths)
    if output_format == "json":
        emit(reporting.render_json(report.files, report.problems))
    elif output_format == "github":
        emit(reporting.render_github(report.problems))
    else:
        emit(reporting.render_text(report.problems))
    if report.ok:
        if output_format == "text":
            emit(reporting.summary(report.files, report.problems) + "\n")
        return 0
    if output_format != "json":
        note(f"freegin-ai: {reporting.summary(report.files, report.problems)}")
    return 1
