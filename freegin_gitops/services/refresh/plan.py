"""``refresh-models``: ask an LLM (through the router) for better models, verify the answers
against each provider's model list, and write the resulting suggestions and retirement proposals
on the branch ``freegin/refresh/<provider or all>``, then push it and open or update a pull
request.

The catalog is read at the base commit, edited in memory, validated, and committed with git
plumbing: the user's working tree, index, HEAD and branch are never touched.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from freegin_gitops.adapters import schema_check
from freegin_gitops.core.answers import parse_answer
from freegin_gitops.core.catalog import Catalog, ModelRef
from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog
from freegin_gitops.core.layout import CONFIG_FILE, WORKLOADS_FILE
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.core.problems import format_path
from freegin_gitops.core.refresh_merge import ModelList, merge_recommendations, propose_retirements
from freegin_gitops.core.refresh_model import ProviderRefresh, RefreshReport
from freegin_gitops.core.refresh_prompt import render_prompt
from freegin_gitops.core.refresh_text import SYSTEM_PROMPT, branch_name
from freegin_gitops.core.usage import UsageKey, UsageStats
from freegin_gitops.errors import AnswerInvalid, CatalogInvalid, FreeginError, NotFound, ProviderError
from freegin_gitops.resources import template_path
from freegin_gitops.services.catalog.compiled_file import compile_result
from freegin_gitops.services.catalog.loading import LoadResult, load_files
from freegin_gitops.services.edits.refresh_outcome import apply_refresh

if TYPE_CHECKING:
    from freegin_gitops.services.routing.router import Router

REFRESH_WORKLOAD = "refresh"


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    provider: str | None = None
    workload: str | None = None
    answers: Mapping[str, str] | str | None = None  # --from-file: one answer, or one per provider


@dataclass(frozen=True, slots=True)
class ProviderFailure:
    provider: str
    message: str


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """Everything a refresh decided, before git: the report and the new file bytes."""

    report: RefreshReport
    base_files: Mapping[str, bytes]
    new_files: Mapping[str, bytes]
    failures: tuple[ProviderFailure, ...] = ()

    @property
    def changed(self) -> dict[str, bytes]:
        return {p: b for p, b in self.new_files.items() if self.base_files.get(p) != b}


@dataclass
class RefreshContext:
    """The collaborators of a refresh, so that tests and the CLI wire them differently."""

    router: Router
    stats: Mapping[UsageKey, UsageStats]
    now: dt.datetime
    progress: Callable[[str], None] = field(default=lambda _message: None)


def _check_answer(obj: object) -> list[str]:
    return [
        f"{format_path(p.path)}: {p.message}" if p.path else p.message
        for p in schema_check.check("recommendations", obj, "answer")
    ]


def _answer_for(request: RefreshRequest, provider: str) -> str | None:
    if request.answers is None:
        return None
    if isinstance(request.answers, str):
        return request.answers
    if provider not in request.answers:
        raise AnswerInvalid(
            f"the saved answers (a JSON object of answers by provider, for "
            f"{', '.join(sorted(request.answers))}) have none for provider {provider!r}"
        )
    return request.answers[provider]


def _refresh_candidates(compiled: CompiledCatalog) -> list[Candidate]:
    settings = compiled.refresh
    refs = [(settings["provider"], settings["model"])]
    refs += [(r["provider"], r["model"]) for r in settings.get("fallback", [])]
    return [Candidate(p, m, "override") for p, m in refs]


def _refresh_one(
    catalog: Catalog, provider_id: str, request: RefreshRequest, ctx: RefreshContext, template: str
) -> tuple[ProviderRefresh, str | None]:
    """Ask, verify and merge for one provider; (outcome, failure message or None)."""
    provider = catalog.providers[provider_id]
    workloads = [catalog.workloads[w] for w in sorted(catalog.workloads) if request.workload in (None, w)]
    router = ctx.router

    def ask() -> tuple[str, ModelRef | None]:
        saved = _answer_for(request, provider_id)
        if saved is not None:
            return saved, None
        prompt = render_prompt(
            template, provider, workloads, ctx.stats, catalog.config.refresh.per_workload, ctx.now.date()
        )
        plan = router.plan_candidates(REFRESH_WORKLOAD, _refresh_candidates(router.catalog))
        answer = router.call(
            plan,
            [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
            timeout_s=catalog.config.refresh.timeout_s,
        )
        return answer.text, ModelRef(answer.provider, answer.model)

    def fetch_models() -> tuple[ModelList | None, str | None]:
        unreachable = router.unreachable(provider_id)  # a cool-down is for chat calls, not lists
        if unreachable is not None:
            return None, unreachable
        try:
            return ModelList.of(router.provider_api(provider_id).list_models()), None
        except ProviderError as exc:
            return None, str(exc)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        asked = pool.submit(ask)
        listed_future = pool.submit(fetch_models)
        listed, list_error = listed_future.result()
        outcome = ProviderRefresh(
            provider_id,
            None,
            "fetched" if listed is not None else "unavailable",
            usage={(m, w): s for (p, m, w), s in ctx.stats.items() if p == provider_id},
            model_list_error=list_error,
        )
        try:
            text, answered_by = asked.result()
        except FreeginError as exc:
            return outcome, str(exc)
    outcome = replace(outcome, answered_by=answered_by)
    who = f"{answered_by.provider}/{answered_by.model}" if answered_by else "the saved answer"
    try:
        recommendations = parse_answer(text, _check_answer, who)
    except AnswerInvalid as exc:
        return outcome, str(exc)
    answered = {group.workload for group in recommendations}
    if answered and not answered & catalog.workloads.keys():
        return outcome, (
            f"the answer from {who} is for workload(s) {', '.join(map(repr, sorted(answered)))}, which "
            f"{WORKLOADS_FILE} does not define (it defines {', '.join(sorted(catalog.workloads))})"
        )
    changes, skipped = merge_recommendations(
        provider,
        catalog.suggestions.get(provider_id, ()),
        recommendations,
        known_workloads=catalog.workloads.keys(),
        wanted_workloads=None if request.workload is None else {request.workload},
        per_workload=catalog.config.refresh.per_workload,
        listed=listed,
    )
    retirements = propose_retirements(provider, listed, ctx.now.date(), ctx.stats)
    return replace(
        outcome, changes=tuple(changes), retirements=tuple(retirements), skipped=tuple(skipped)
    ), None


def plan_refresh(
    base_files: Mapping[str, bytes],
    base: str,
    request: RefreshRequest,
    ctx: RefreshContext,
    concurrency: int | None = None,
    loaded: LoadResult | None = None,
) -> RefreshPlan:
    """Ask every provider in scope (concurrently), then edit the catalog files in memory.
    ``loaded`` is ``base_files`` already loaded, when the caller has it."""
    catalog = (loaded or load_files(base_files)).require_catalog()
    if request.provider is not None and request.provider not in catalog.providers:
        raise NotFound(
            f"unknown provider {request.provider!r}{did_you_mean(request.provider, catalog.providers)}"
        )
    if request.workload is not None and request.workload not in catalog.workloads:
        raise NotFound(
            f"unknown workload {request.workload!r}{did_you_mean(request.workload, catalog.workloads)}"
        )
    scope = request.provider or "all"
    providers = [request.provider] if request.provider else sorted(catalog.providers)
    template = template_path("refresh_prompt.md").read_text(encoding="utf-8")
    workers = concurrency or catalog.config.refresh.concurrency
    if request.answers is None and catalog.config.refresh.provider is None:
        raise FreeginError(
            f"{CONFIG_FILE} names no refresh model (refresh.provider and refresh.model), so there is "
            "no one to ask; add them, or give a saved answer with --from-file"
        )
    if request.answers is None:
        ctx.router.warm_up()  # one HTTP client for all threads, made before they start
    outcomes: dict[str, ProviderRefresh] = {}
    failures: list[ProviderFailure] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, len(providers)))) as pool:
        futures = {pool.submit(_refresh_one, catalog, p, request, ctx, template): p for p in providers}
        for future in concurrent.futures.as_completed(futures):
            outcome, failure = future.result()
            outcomes[outcome.provider] = replace(outcome, failure=failure) if failure else outcome
            if failure:
                failures.append(ProviderFailure(outcome.provider, failure))
                ctx.progress(f"{outcome.provider}: failed: {failure}")
            else:
                unknown = sorted({s.workload for s in outcome.skipped if s.why == "unknown workload"})
                left_out = (
                    f"; recommendations for unknown workload(s) {', '.join(map(repr, unknown))} left out"
                    if unknown
                    else ""
                )
                ctx.progress(
                    f"{outcome.provider}: {len(outcome.changes)} suggestion(s), "
                    f"{len(outcome.retirements)} retirement proposal(s); model list {outcome.model_list}"
                    f"{left_out}"
                )
    report = RefreshReport(scope, branch_name(scope), base, tuple(outcomes[p] for p in providers))
    new_files = apply_refresh(base_files, report, ctx.now)
    result = load_files(new_files)
    if result.problems:  # a bug in the edits, or an answer the checks let through: write nothing
        problem = result.problems[0].render()
        raise CatalogInvalid(
            result.problems, f"the refreshed catalog would be invalid ({problem}); nothing was written"
        )
    return RefreshPlan(report, base_files, new_files, tuple(sorted(failures, key=lambda f: f.provider)))


def compiled_for(base_files: Mapping[str, bytes], loaded: LoadResult | None = None) -> CompiledCatalog:
    """The compiled base catalog, for routing the refresh prompts."""
    return CompiledCatalog(compile_result(loaded or load_files(base_files), None, None).document)
