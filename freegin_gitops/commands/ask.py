"""``freegin-ai ask``: route a prompt, fall back on failure, record usage, print the answer."""

from __future__ import annotations

import sys

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, emit_json, note
from freegin_gitops.core.budgets import budget_json
from freegin_gitops.core.compiled_catalog import Candidate
from freegin_gitops.core.route_attempts import Attempt
from freegin_gitops.errors import BadUsage, NoCandidateAnswered
from freegin_gitops.services.routing.session import open_router


def _prompt(text: str) -> str:
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise BadUsage("the prompt is empty")
    return text


def run(
    options: GlobalOptions,
    *,
    prompt: str,
    workload: str,
    provider: str | None,
    model: str | None,
    ref: str | None,
    as_json: bool,
) -> int:
    text = _prompt(prompt)
    repo = catalog_repo(options)
    attempts: list[Attempt] = []
    with open_router(repo, ref, options.db, create_db=True) as router:
        plan = router.plan(workload, provider, model)
        try:
            answer = router.call(plan, [{"role": "user", "content": text}], on_attempt=attempts.append)
        except NoCandidateAnswered as exc:
            _warn_about_usage(router.usage_warning)
            if as_json:
                emit_json(
                    {
                        "answer": None,
                        "error": str(exc),
                        "workload": workload,
                        "attempts": [a.as_json() for a in attempts],
                    }
                )
            raise
        budget = router.budget(Candidate(answer.provider, answer.model, "catalog")) if as_json else None
        warning = router.usage_warning
    if as_json:
        emit_json(
            {
                "answer": answer.text,
                "provider": answer.provider,
                "model": answer.model,
                "workload": answer.workload,
                "latency_ms": round(answer.latency_ms, 1),
                "attempts": [a.as_json() for a in answer.attempts],
                "budget": budget_json(budget),  # what is left of the answering model's, after this call
                "usage_warning": warning,
            }
        )
        _warn_about_usage(warning)
        return 0
    emit(answer.text if answer.text.endswith("\n") else answer.text + "\n")
    tried = sum(a.outcome in ("answered", "failed") for a in answer.attempts)
    note(f"answered by {answer.provider}/{answer.model} in {answer.latency_ms:.0f} ms ({tried} call(s))")
    _warn_about_usage(warning)
    return 0


def _warn_about_usage(warning: str | None) -> None:
    """The answer stands (exit 0); that it was not recorded is said once, on stderr."""
    if warning:
        note(f"freegin-ai: warning: usage was not recorded: {warning}")
