"""Put a refresh on its branch, push it and open or update its pull request.

The branch holds one commit on top of the base: re-running refresh replaces it (compare-and-swap
locally, ``--force-with-lease`` on the remote) and never creates a second branch. A branch that
carries anyone else's commits is left alone, and a commit is refresh's only while it is exactly
what refresh wrote (the tree and message its trailer records): a refresh commit that a person
amended and force-pushed, trailer and all, is theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from freegin_gitops.adapters.git.refs import CommitInfo, GitRepo
from freegin_gitops.core.refresh_text import commit_message, made_by_refresh, proposal_of, trailer_value
from freegin_gitops.errors import GitRefused
from freegin_gitops.services.refresh.plan import RefreshPlan

BranchAction = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class Published:
    branch: str
    commit: str
    action: BranchAction
    pushed: bool  # a push happened (False when origin already had this commit)
    pull_request: str | None = None  # URL
    pull_request_action: str | None = None


def _foreign(commits: list[CommitInfo]) -> list[CommitInfo]:
    return [c for c in commits if not made_by_refresh(c.message, c.tree)]


def _refuse_foreign(branch: str, where: str, commits: list[CommitInfo]) -> None:
    if commits:
        first = commits[-1]
        raise GitRefused(
            f"{where} {branch} has {len(commits)} commit(s) not made by freegin-ai refresh, or changed "
            f"since (first: {first.sha[:12]} by {first.author}: {first.subject!r}); leaving it alone — "
            "merge or close its pull request, or delete the branch, then refresh again"
        )


def _same_proposal(git: GitRepo, commit: str, base_sha: str, plan: RefreshPlan) -> bool:
    """True if ``commit`` is a refresh of the same base proposing exactly what ``plan`` does."""
    if git.parents_of(commit) != [base_sha]:
        return False
    (made,) = git.commits_between(base_sha, commit)
    return made_by_refresh(made.message, made.tree) and proposal_of(made.message) == trailer_value(
        plan.report
    )


def refuse_checked_out(git: GitRepo, branch: str) -> None:
    """Refresh replaces its branch's commit: never while someone has that branch checked out."""
    where = git.checked_out().get(branch)
    if where is not None:
        raise GitRefused(
            f"{branch} is checked out in {where}; switch that work tree to another branch (for "
            "example the base branch) before refreshing, or refresh would move the branch under it"
        )


def publish(
    git: GitRepo,
    plan: RefreshPlan,
    base_sha: str,
    *,
    push: bool,
    open_pr: Callable[[str], tuple[str, str]] | None = None,
    remote: str = "origin",
) -> Published:
    """Commit ``plan`` on its branch (and push it, and open or update its pull request)."""
    branch = plan.report.branch
    refuse_checked_out(git, branch)
    tip = git.branch_tip(branch)
    if tip is not None:
        _refuse_foreign(branch, "the local branch", _foreign(git.commits_between(base_sha, tip)))
    remote_tip: str | None = None
    if push:
        if not git.has_remote(remote):
            raise GitRefused(f"cannot push: the repository has no remote {remote!r}")
        remote_tip = git.fetch_branch(branch, remote)
        if remote_tip is not None:
            _refuse_foreign(branch, f"{remote}'s branch", _foreign(git.commits_between(base_sha, remote_tip)))
    existing = remote_tip or tip
    action: BranchAction
    if existing is not None and _same_proposal(git, existing, base_sha, plan):
        new, action = existing, "unchanged"  # the same proposal again: no new commit, no churn
    else:
        tree = git.write_tree(base_sha, plan.changed)
        new = git.commit_tree(tree, base_sha, commit_message(plan.report, tree))
        action = "created" if existing is None else "updated"
    if new != tip:
        git.update_branch(branch, new, tip, f"freegin-ai refresh: {plan.report.scope}")
    pushed = push and remote_tip != new
    if pushed:
        git.push_branch(branch, new, remote_tip, remote)
    url = pr_action = None
    if open_pr is not None:
        url, pr_action = open_pr(branch)
    return Published(branch, new, action, pushed, url, pr_action)
