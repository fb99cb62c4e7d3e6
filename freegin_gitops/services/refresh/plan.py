"""``refresh-models``: fetch each provider's model list, ask an LLM (through the router) for
better models among those listed, check the answers against the workloads and the list, and write
the resulting suggestions and lifecycle proposals (deprecate, retire, active again) on the branch
``freegin/refresh/<provider or all>``, then push it and open or update a pull request.

The catalog is read at the base commit, edited in memory, validated, and committed with git
plumbing: the user's working tree, index, HEAD and branch are never touched.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from freegin_gitops.adapters import schema_check
from freegin_gitops.core.answers import parse_answer
from freegin_gitops.core.catalog import Catalog, ModelRef
from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog
from freegin_gitops.core.layout import CONFIG_FILE, WORKLOADS_FILE
from freegin_gitops.core.lifecycle import propose_lifecycle
from freegin_gitops.core.limit_corrections import limit_findings
from freegin_gitops.core.model_list import ModelList, prompt_listing
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.core.problems import format_path
from freegin_gitops.core.refresh_merge import merge_recommendations
from freegin_gitops.core.refresh_model import ProviderRefresh, ProviderSkipped, RefreshReport
from freegin_gitops.core.refresh_prompt import render_prompt
from freegin_gitops.core.refresh_text import SYSTEM_PROMPT, branch_name, counts
from freegin_gitops.core.usage import RateLimitSeen, UsageKey, UsageStats
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
    keep_unlisted: bool = False  # --keep-unlisted: write unlisted recommendations (verified: false)


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
    rate_limits: Sequence[RateLimitSeen] = ()  # the x-ratelimit-limit-* values the router recorded


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


def _fetch_list(router: Router, provider_id: str) -> tuple[ModelList | None, str | None]:
    """The provider's model list, or None and why it could not be had."""
    unreachable = router.unreachable(provider_id)  # a cool-down is for chat calls, not lists
    if unreachable is not None:
        return None, unreachable
    try:
        return ModelList(router.provider_api(provider_id).list_model_entries()), None
    except ProviderError as exc:
        return None, str(exc)


def _refresh_one(
    catalog: Catalog, provider_id: str, request: RefreshRequest, ctx: RefreshContext, template: str
) -> ProviderRefresh:
    """Fetch the provider's model list, ask (with the list in the prompt), verify and merge."""
    provider = catalog.providers[provider_id]
    settings = catalog.config.refresh
    workloads = [catalog.workloads[w] for w in sorted(catalog.workloads) if request.workload in (None, w)]
    router = ctx.router
    today = ctx.now.date()
    listed, list_error = _fetch_list(router, provider_id)
    lifecycle = propose_lifecycle(provider, listed, today, ctx.stats, settings.grace_days)
    outcome = ProviderRefresh(
        provider_id,
        None,
        "fetched" if listed is not None else "unavailable",
        usage={(m, w): s for (p, m, w), s in ctx.stats.items() if p == provider_id},
        model_list_error=list_error,
        listed=len(listed) if listed is not None else None,
        suspect=lifecycle.suspect,
    )
    answered_by: ModelRef | None = None
    text = _answer_for(request, provider_id)
    if text is None:
        held = [m.id for m in provider.models]
        listing = prompt_listing(listed, held, settings.listed_in_prompt) if listed is not None else None
        prompt = render_prompt(
            template, provider, workloads, ctx.stats, settings.per_workload, today, listing
        )
        plan = router.plan_candidates(REFRESH_WORKLOAD, _refresh_candidates(router.catalog))
        try:
            answer = router.call(
                plan,
                [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
                timeout_s=settings.timeout_s,
            )
        except FreeginError as exc:
            return replace(outcome, failure=str(exc))
        text, answered_by = answer.text, ModelRef(answer.provider, answer.model)
    outcome = replace(outcome, answered_by=answered_by)
    who = f"{answered_by.provider}/{answered_by.model}" if answered_by else "the saved answer"
    try:
        recommendations = parse_answer(text, _check_answer, who)
    except AnswerInvalid as exc:
        return replace(outcome, failure=str(exc))
    answered = {group.workload for group in recommendations}
    if answered and not answered & catalog.workloads.keys():
        return replace(
            outcome,
            failure=(
                f"the answer from {who} is for workload(s) {', '.join(map(repr, sorted(answered)))}, "
                f"which {WORKLOADS_FILE} does not define (it defines {', '.join(sorted(catalog.workloads))})"
            ),
        )
    merged = merge_recommendations(
        provider,
        catalog.suggestions.get(provider_id, ()),
        recommendations,
        workloads=catalog.workloads,
        wanted_workloads=None if request.workload is None else {request.workload},
        per_workload=settings.per_workload,
        listed=listed,
        keep_unlisted=request.keep_unlisted,
    )
    limits = limit_findings(provider, ctx.rate_limits, ctx.now.timestamp())
    return replace(
        outcome,
        changes=tuple(merged.changes),
        lifecycle=lifecycle.proposals,
        skipped=tuple(merged.skipped),
        unlisted=tuple(merged.unlisted),
        limit_corrections=limits.corrections,
        limits_unresolved=limits.unresolved,
    )


def _progress_line(outcome: ProviderRefresh) -> str:
    if outcome.failure:
        return f"{outcome.provider}: failed: {outcome.failure}"
    if outcome.model_list == "fetched":
        listed = f"model list fetched ({outcome.listed} model(s))"
        if outcome.suspect:
            listed += f", suspect: {outcome.suspect}; nothing proposed for its models"
    else:
        listed = "model list unavailable" + (
            f" ({outcome.model_list_error})" if outcome.model_list_error else ""
        )
    unlisted = f", {len(outcome.unlisted)} not served by the provider" if outcome.unlisted else ""
    unknown = sorted({s.workload for s in outcome.skipped if s.why == "unknown workload"})
    left_out = (
        f"; recommendations for unknown workload(s) {', '.join(map(repr, unknown))} left out"
        if unknown
        else ""
    )
    unresolved = (
        f"; {len(outcome.limits_unresolved)} reported limit(s) that disagree but could not be told apart"
        if outcome.limits_unresolved
        else ""
    )
    return f"{outcome.provider}: {counts(outcome)}{unlisted}; {listed}{left_out}{unresolved}"


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
    skipped: list[ProviderSkipped] = []
    if request.provider:
        providers = [request.provider]
    else:  # nothing can be verified without the key: left out, unless named
        providers = []
        for provider_id in sorted(catalog.providers):
            why = ctx.router.unreachable(provider_id)
            if why is None:
                providers.append(provider_id)
            else:
                skipped.append(ProviderSkipped(provider_id, why))
                ctx.progress(f"{provider_id}: skipped: {why} (name the provider to refresh it anyway)")
    template = template_path("refresh_prompt.md").read_text(encoding="utf-8")
    workers = concurrency or catalog.config.refresh.concurrency
    if request.answers is None and catalog.config.refresh.provider is None:
        raise FreeginError(
            f"{CONFIG_FILE} names no refresh model (refresh.provider and refresh.model), so there is "
            "no one to ask; add them, or give a saved answer with --from-file"
        )
    if request.answers is None and providers:
        ctx.router.warm_up()  # one HTTP client for all threads, made before they start
    outcomes: dict[str, ProviderRefresh] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, len(providers) or 1))) as pool:
        futures = [pool.submit(_refresh_one, catalog, p, request, ctx, template) for p in providers]
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            outcomes[outcome.provider] = outcome
            ctx.progress(_progress_line(outcome))
    failures = [ProviderFailure(p, outcomes[p].failure or "") for p in providers if outcomes[p].failure]
    report = RefreshReport(
        scope, branch_name(scope), base, tuple(outcomes[p] for p in providers), tuple(skipped)
    )
    new_files = apply_refresh(base_files, report, ctx.now)
    result = load_files(new_files)
    if result.problems:  # a bug in the edits, or an answer the checks let through: write nothing
        problem = result.problems[0].render()
        raise CatalogInvalid(
            result.problems, f"the refreshed catalog would be invalid ({problem}); nothing was written"
        )
    return RefreshPlan(report, base_files, new_files, tuple(failures))


def compiled_for(base_files: Mapping[str, bytes], loaded: LoadResult | None = None) -> CompiledCatalog:
    """The compiled base catalog, for routing the refresh prompts."""
    return CompiledCatalog(compile_result(loaded or load_files(base_files), None, None).document)
