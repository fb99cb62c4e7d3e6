"""A whole refresh run for the command: the base commit's catalog, a router with the usage
database, the plan, then the branch (with the kept compiled catalog regenerated in the same
commit), the push and the pull request.

The catalog may sit in a sub-folder of its repository (``infra/ai/catalog/``): the git work is
done at the repository's root, with the catalog's paths under that prefix. A pull request that
cannot be opened after the push is reported with the push (the branch is on origin, the pull
request can be opened by hand), not as if nothing had happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.adapters.git.tree import read_catalog_at, read_file_at, toplevel
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.core.usage import RateLimitSeen
from freegin_gitops.core.usage_store import UsageStore
from freegin_gitops.errors import BadUsage, GitHubError, GitRefused, UsageStoreError
from freegin_gitops.services.catalog.compiled_file import kept_compiled
from freegin_gitops.services.catalog.loading import load_files
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.refresh.plan import (
    RefreshContext,
    RefreshPlan,
    RefreshRequest,
    compiled_for,
    plan_refresh,
)
from freegin_gitops.services.refresh.publish import Published
from freegin_gitops.services.routing.router import Router
from freegin_gitops.services.routing.usage_stats import DbOption, open_store

if TYPE_CHECKING:
    from freegin_gitops.adapters.github.target import GitHubTarget


@dataclass(frozen=True, slots=True)
class RefreshRun:
    plan: RefreshPlan
    published: Published | None
    compiled: bool = False  # the kept compiled catalog is regenerated in the refresh commit
    pull_request: str | None = None  # URL
    pull_request_action: str | None = None  # created / updated
    pull_request_error: str | None = None  # why it could not be opened (after the push)


def _rate_limits(store: UsageStore, progress: Callable[[str], None]) -> list[RateLimitSeen]:
    """The rate-limit headers recorded, for limit corrections; none (with a warning) when the
    store cannot give them: the rest of the refresh does not depend on them."""
    try:
        return store.rate_limits()
    except UsageStoreError as exc:
        progress(f"warning: no limit corrections proposed: {exc}")
        return []


def _pull_request_opener(
    target: GitHubTarget, base: str, plan: RefreshPlan
) -> Callable[[str], tuple[str, str]]:
    def open_pr(branch: str) -> tuple[str, str]:
        from freegin_gitops import __version__
        from freegin_gitops.adapters.bounded_http import new_client
        from freegin_gitops.core.pr_body import PR_LABELS, pr_title, render_pr_body

        with new_client(headers={"User-Agent": f"freegin-ai/{__version__}"}) as client:
            pull, action = target.pulls(client).open_or_update(
                branch, base, pr_title(plan.report), render_pr_body(plan.report), PR_LABELS
            )
        return pull.html_url, action

    return open_pr


def run_refresh(
    repo: CatalogRepo,
    request: RefreshRequest,
    *,
    base: str | None,
    dry_run: bool,
    push: bool,
    open_pr: bool,
    db_option: DbOption,
    environ: Mapping[str, str],
    now: dt.datetime,
    progress: Callable[[str], None],
) -> RefreshRun:
    git = None
    base_sha = None
    target: GitHubTarget | None = None
    top = toplevel(repo.root) if repo.writable else None
    prefix = repo.git_prefix()
    if top is not None:
        from freegin_gitops.adapters.git.refs import GitRepo

        git = GitRepo(top)
        base_name = base or git.current_branch()
        if base_name is None:
            raise BadUsage("HEAD is detached: name the branch to start from with --base")
        base_sha, files = read_catalog_at(top, base_name, prefix)
        if not dry_run:  # before any work: refresh must not move a branch someone is on
            from freegin_gitops.core.refresh_text import branch_name
            from freegin_gitops.services.refresh.publish import refuse_checked_out

            refuse_checked_out(git, branch_name(request.provider or "all"))
        if open_pr and not dry_run:  # before any work: a missing token must not cost a refresh
            from freegin_gitops.adapters.github.target import resolve_target

            target = resolve_target(environ, git.origin_url())
    elif dry_run and base is None:
        base_name, files = "the working tree", read_catalog_dir(repo.root)
    else:
        raise GitRefused(f"{repo.root} is not a git repository; refresh writes a branch, so it needs one")

    store = open_store(db_option)
    assert store is not None
    with contextlib.closing(store):
        loaded = load_files(files)
        router = Router(compiled_for(files, loaded), environ=environ, usage=store)
        try:
            ctx = RefreshContext(router, store.stats(), now, progress, _rate_limits(store, progress))
            plan = plan_refresh(files, base_name, request, ctx, loaded=loaded)
        finally:
            router.close()
    kept = read_file_at(top, base_sha, prefix + COMPILED_FILE) if top is not None and base_sha else None
    compiled = kept_compiled(plan.new_files, kept, base_sha) if plan.changed else None
    if dry_run or not plan.changed:
        return RefreshRun(plan, None, compiled is not None)
    assert git is not None and base_sha is not None
    from freegin_gitops.services.refresh.publish import publish

    commit_files = {prefix + path: data for path, data in plan.changed.items()}
    if compiled is not None:
        commit_files[prefix + COMPILED_FILE] = compiled
    published = publish(git, plan, base_sha, push=push, files=commit_files)
    run = RefreshRun(plan, published, compiled is not None)
    if target is None or published.action == "skipped":
        return run
    try:
        url, action = _pull_request_opener(target, base_name, plan)(published.branch)
    except GitHubError as exc:
        return replace(run, pull_request_error=str(exc))
    return replace(run, pull_request=url, pull_request_action=action)
