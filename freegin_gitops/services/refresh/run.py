"""A whole refresh run for the command: the base commit's catalog, a router with the usage
database, the plan, then the branch, the push and the pull request."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.adapters.git.tree import read_catalog_at
from freegin_gitops.errors import BadUsage, GitRefused
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
    if repo.writable and (repo.root / ".git").exists():
        from freegin_gitops.adapters.git.refs import GitRepo

        git = GitRepo(repo.root)
        base_name = base or git.current_branch()
        if base_name is None:
            raise BadUsage("HEAD is detached: name the branch to start from with --base")
        base_sha, files = read_catalog_at(repo.root, base_name)
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
            ctx = RefreshContext(router, store.stats(), now, progress)
            plan = plan_refresh(files, base_name, request, ctx, loaded=loaded)
        finally:
            router.close()
    if dry_run or not plan.changed:
        return RefreshRun(plan, None)
    assert git is not None and base_sha is not None
    from freegin_gitops.services.refresh.publish import publish

    opener = _pull_request_opener(target, base_name, plan) if target is not None else None
    return RefreshRun(plan, publish(git, plan, base_sha, push=push, open_pr=opener))
