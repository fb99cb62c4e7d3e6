"""``freegin-ai refresh-models``."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from pathlib import Path

from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core.refresh_text import counts
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
) -> int:
    if open_pr and push is False:
        raise BadUsage("--open-pr needs the branch on origin; leave out --no-push")
    repo = resolve_repo(options.repo)
    if not dry_run:
        repo.require_writable("refresh the catalog")
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
        environ=dict(os.environ),
        now=dt.datetime.now(dt.UTC),
        progress=note,
    )
    plan = outcome.plan
    if dry_run:
        _dry_run(plan)
    elif outcome.published is None:
        emit(f"nothing to suggest for {plan.report.scope}: no branch written\n")
    else:
        pub = outcome.published
        line = f"{pub.branch}: {pub.action} {pub.commit[:12]} ({counts(plan.report)})"
        if pub.pushed:
            line += "; pushed to origin"
        elif push or open_pr:
            line += "; origin already has it"
        if pub.pull_request:
            line += f"; pull request {pub.pull_request_action}: {pub.pull_request}"
        emit(line + "\n")
    if plan.failures:
        failed = "; ".join(f"{f.message}" for f in plan.failures)
        note(f"freegin-ai: refresh failed for {len(plan.failures)} provider(s): {failed}")
        return 1
    return 0
