"""``freegin-ai validate``."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.commands.common import announce, catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core import reporting
from freegin_gitops.services.catalog.repo import CatalogRepo, explicit_repo, resolve_repo
from freegin_gitops.services.catalog.validation import ValidationReport, group_by_catalog, merge, validate


def _groups(options: GlobalOptions, paths: list[Path]) -> list[tuple[CatalogRepo, list[Path]]]:
    """``--repo``/``FREEGIN_REPO`` for every file; else each file's own catalog."""
    if not paths:
        return [(catalog_repo(options), [])]
    named = explicit_repo(options.repo)
    if named is not None:
        return [(named, paths)]
    groups = group_by_catalog(paths, lambda: resolve_repo(None))
    for repo, _files in groups:
        announce(repo)
    return groups


def run(options: GlobalOptions, *, paths: list[Path], output_format: str, whole: bool) -> int:
    reports: list[ValidationReport] = [
        validate(repo, files, whole=whole) for repo, files in _groups(options, paths)
    ]
    report = merge(reports)
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
