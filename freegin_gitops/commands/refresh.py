"""``freegin-ai refresh-models``."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.core.refresh_model import RefreshReport
from freegin_gitops.core.refresh_text import counts
from freegin_gitops.core.reporting import github_warning
from freegin_gitops.core.rules import PROVIDER_ID
from freegin_gitops.errors import BadUsage, FileError
from freegin_gitops.services.catalog.repo import resolve_repo
from freegin_gitops.services.refresh.plan import RefreshPlan, RefreshRequest
from freegin_gitops.services.refresh.run import RefreshRun, run_refresh


def _answer_like(value: object) -> bool:
    """A value of a JSON object of saved answers by provider: an answer's text, or its JSON."""

    def item(v: object) -> bool:
        return isinstance(v, dict) and bool({"workload", "recommendations"} & set(v))

    return isinstance(value, str) or item(value) or (isinstance(value, list) and all(map(item, value)))


def saved_answers(path: Path) -> str | dict[str, str]:
    """A saved LLM answer (``--from-file``): the answer text used for every provider, or a JSON
    object mapping provider ids to their answers. Read up to ``FREEGIN_MAX_RESPONSE_BYTES``,
    like an answer over HTTP (a pipe such as /dev/stdin may be named)."""
    from freegin_gitops.adapters.env_limits import current_limits

    limit = current_limits().max_response_bytes
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise FileError(f"the saved answer {path} cannot be read: {exc.strerror}") from exc
    if len(raw) > limit:
        raise FileError(f"the saved answer {path} is larger than {limit} bytes (FREEGIN_MAX_RESPONSE_BYTES)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(f"the saved answer {path} is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if (
        isinstance(data, dict)
        and data
        and not {"workload", "recommendations"} & set(data)
        and all(isinstance(k, str) and PROVIDER_ID.match(k) for k in data)
        and all(map(_answer_like, data.values()))
    ):
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return text


def _dry_run(plan: RefreshPlan) -> None:
    report = plan.report
    emit(f"would write branch {report.branch} from {report.base}:\n")
    for c in report.changes:
        flag = {True: "listed", False: "not listed by the provider", None: "unverified"}[c.verified]
        emit(f"  suggest {c.provider}/{c.model} for {c.workload} ({c.action}, {flag})\n")
    for r in report.lifecycle:
        emit(f"  {r.change} {r.provider}/{r.model}: {r.reason}\n")
    for u in report.unlisted:
        emit(f"  not served by the provider: {u.provider}/{u.model} for {u.workload} (not written)\n")
    for p in report.providers:
        for s in p.skipped:
            emit(f"  left out {s.provider}/{s.model} for {s.workload}: {s.why}\n")
    for path, new in sorted(plan.changed.items()):
        old = plan.base_files.get(path, b"").decode("utf-8").splitlines(keepends=True)
        emit(
            "".join(
                difflib.unified_diff(
                    old, new.decode("utf-8").splitlines(keepends=True), f"a/{path}", f"b/{path}"
                )
            )
        )
    if not plan.changed:
        emit("  nothing to change\n")


def _branch_line(outcome: RefreshRun, pushing: bool) -> str:
    plan, pub = outcome.plan, outcome.published
    assert pub is not None
    report = plan.report
    line = f"{pub.branch}: {pub.action} {pub.commit[:12]} ({counts(report)}"
    line += f"; {COMPILED_FILE} regenerated)" if outcome.compiled else ")"
    if pub.pushed:
        line += "; pushed to origin"
    elif pushing:
        line += "; origin already has it"
    if outcome.pull_request:
        line += f"; pull request {outcome.pull_request_action}: {outcome.pull_request}"
    return line


def _report_failures(report: RefreshReport, strict: bool, environ: Mapping[str, str]) -> bool:
    """Say which providers failed (each was reported as it failed, above): one line on stderr and,
    under GitHub Actions, a warning annotation for each, so that a weekly run that half worked
    says so on its summary page. True when the failures fail the run."""
    failed = report.failed
    if not failed:
        return False
    if environ.get("GITHUB_ACTIONS") == "true":
        for p in failed:
            emit(github_warning(f"{p.provider} was not refreshed: {p.failure}", "freegin-ai refresh") + "\n")
    names = ", ".join(p.provider for p in failed)
    summary = f"{len(failed)} of {len(report.providers)} provider(s) could not be refreshed ({names})"
    if len(failed) == len(report.providers):
        note(f"freegin-ai: refresh failed: {summary}")
        return True
    if strict:
        note(f"freegin-ai: refresh failed (--strict): {summary}")
        return True
    note(f"freegin-ai: warning: {summary}; the others are proposed, and the next refresh tries again")
    return False


def run(
    options: GlobalOptions,
    *,
    provider: str | None,
    workload: str | None,
    dry_run: bool,
    from_file: Path | None,
    push: bool | None,
    open_pr: bool,
    base: str | None,
    keep_unlisted: bool = False,
    strict: bool = False,
) -> int:
    if open_pr and push is False:
        raise BadUsage("--open-pr needs the branch on origin; leave out --no-push")
    repo = resolve_repo(options.repo)
    if not dry_run:
        repo.require_writable("refresh the catalog")
    environ = dict(os.environ)
    request = RefreshRequest(
        provider, workload, saved_answers(from_file) if from_file else None, keep_unlisted=keep_unlisted
    )
    outcome: RefreshRun = run_refresh(
        repo,
        request,
        base=base,
        dry_run=dry_run,
        push=bool(push) or open_pr,
        open_pr=open_pr,
        db_option=options.db,
        environ=environ,
        now=dt.datetime.now(dt.UTC),
        progress=note,
    )
    plan = outcome.plan
    pub = outcome.published
    if dry_run:
        _dry_run(plan)
        if outcome.compiled:
            emit(f"  and regenerate {COMPILED_FILE} (kept in the repository)\n")
    elif pub is None:
        emit(f"nothing to suggest for {plan.report.scope}: no branch written\n")
    elif pub.action == "skipped":
        note(f"freegin-ai: {pub.notice}")
        if environ.get("GITHUB_ACTIONS") == "true":  # why no pull request moved, on the run's page
            emit(github_warning(str(pub.notice), "freegin-ai refresh", "notice") + "\n")
    else:
        emit(_branch_line(outcome, bool(push) or open_pr) + "\n")
    failing = _report_failures(plan.report, strict, environ)
    if outcome.pull_request_error:
        assert pub is not None
        note(
            f"freegin-ai: {outcome.pull_request_error} The branch {pub.branch} was pushed to origin "
            f"({pub.commit[:12]}): open the pull request by hand, or fix the cause and run refresh again."
        )
        return 1
    return 1 if failing else 0
