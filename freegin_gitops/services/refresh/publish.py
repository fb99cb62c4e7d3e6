"""Put a refresh on its branch and push it (the pull request is opened by the run, after this).

The branch holds one commit on top of the base: re-running refresh replaces it (compare-and-swap
locally, ``--force-with-lease`` on the remote) and never creates a second branch. A branch that
carries anyone else's commits is left alone, and a commit is refresh's only while it is exactly
what refresh wrote (the tree and message its trailer records): a refresh commit that a person
amended and force-pushed, trailer and all, is theirs. Leaving a branch alone is a skip with a
notice, not an error, as Renovate skips a pull request someone edited: the person reviewing it is
not a failure of the weekly refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from freegin_gitops.adapters.git.refs import CommitInfo, GitRepo
from freegin_gitops.core.refresh_text import commit_message, made_by_refresh, proposal_of, trailer_value
from freegin_gitops.errors import GitRefused
from freegin_gitops.services.refresh.plan import RefreshPlan

BranchAction = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(frozen=True, slots=True)
class Published:
    branch: str
    commit: str  # the branch's tip: the one written, or the one left alone
    action: BranchAction
    pushed: bool  # a push happened (False when origin already had this commit)
    notice: str | None = None  # why the branch was skipped


def _foreign(commits: list[CommitInfo]) -> list[CommitInfo]:
    return [c for c in commits if not made_by_refresh(c.message, c.tree)]


def _foreign_notice(branch: str, where: str, commits: list[CommitInfo]) -> str | None:
    if not commits:
        return None
    first = commits[-1]
    return (
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
    files: Mapping[str, bytes] | None = None,
    remote: str = "origin",
) -> Published:
    """Commit ``plan`` on its branch (and push it). ``files`` are the files of the commit by
    their path in the repository (default: the plan's changed files, for a catalog at the
    repository's root)."""
    branch = plan.report.branch
    refuse_checked_out(git, branch)
    tip = git.branch_tip(branch)
    if tip is not None:
        notice = _foreign_notice(branch, "the local branch", _foreign(git.commits_between(base_sha, tip)))
        if notice:
            return Published(branch, tip, "skipped", False, notice)
    remote_tip: str | None = None
    if push:
        if not git.has_remote(remote):
            raise GitRefused(f"cannot push: the repository has no remote {remote!r}")
        remote_tip = git.fetch_branch(branch, remote)
        if remote_tip is not None:
            foreign = _foreign(git.commits_between(base_sha, remote_tip))
            notice = _foreign_notice(branch, f"{remote}'s branch", foreign)
            if notice:
                return Published(branch, remote_tip, "skipped", False, notice)
    existing = remote_tip or tip
    action: BranchAction
    if existing is not None and _same_proposal(git, existing, base_sha, plan):
        new, action = existing, "unchanged"  # the same proposal again: no new commit, no churn
    else:
        tree = git.write_tree(base_sha, plan.changed if files is None else files)
        new = git.commit_tree(tree, base_sha, commit_message(plan.report, tree))
        action = "created" if existing is None else "updated"
    if new != tip:
        git.update_branch(branch, new, tip, f"freegin-ai refresh: {plan.report.scope}")
    pushed = push and remote_tip != new
    if pushed:
        git.push_branch(branch, new, remote_tip, remote)
    return Published(branch, new, action, pushed)
