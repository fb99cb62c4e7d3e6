"""``freegin-ai init``: write a starter catalog repository, then say what was written and what
to do next."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from freegin_gitops.adapters.tool_source import tool_source
from freegin_gitops.commands.output import emit, note
from freegin_gitops.core.starter import PR_TOKEN_SECRET, is_commit_id
from freegin_gitops.errors import BadUsage
from freegin_gitops.services.init import InitPlan, plan_init, write_init


def _shown(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        return str(path)


def _next_steps(plan: InitPlan, cwd: Path) -> list[str]:
    root = _shown(plan.repo_root, cwd)
    steps = []
    if not plan.in_git:
        steps.append("git init" if root == "." else f"git init {root}")
    into = "" if root == "." else f"cd {root} && "
    steps.append(f'{into}git add -A && git commit -m "Start the freegin-ai catalog"')
    where = f" (in {plan.layout.folder} or below it)" if plan.layout.prefix else ""
    steps.append(f"freegin-ai validate{where}")
    steps.append("pre-commit install (once per clone: the catalog is then validated before every commit)")
    keys = plan.secrets
    shown = f" ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})" if keys else ""
    steps.append(
        f"on GitHub: add the provider keys as repository secrets{shown}, and in Settings > Actions > "
        "General allow GitHub Actions to create and approve pull requests (or store a token as "
        f"the secret {PR_TOKEN_SECRET}; see refresh.yml)"
    )
    return steps


def run(*, path: Path | None, empty: bool, pin: str | None = None) -> int:
    cwd = Path.cwd()
    source = tool_source()
    if pin is not None:
        if not is_commit_id(pin.lower()):
            raise BadUsage(
                f"--pin {pin!r}: give a full 40-character commit id of {source.repository} "
                "(a branch moves under a scheduled workflow, a tag or a short id may not exist there)"
            )
        source = dataclasses.replace(source, commit=pin.lower(), dirty=False)
    plan = plan_init(path if path is not None else cwd, empty=empty, source=source)
    written = write_init(plan, cwd)
    emit(f"wrote {len(written)} files of a freegin-ai catalog repository:\n")
    for file in written:
        emit(f"  {_shown(file, cwd)}\n")
    emit(f"the workflows and the pre-commit hook install {plan.pin.label}\n")
    emit("next steps:\n")
    for number, step in enumerate(_next_steps(plan, cwd), start=1):
        emit(f"  {number}. {step}\n")
    if source.dirty:
        note(
            f"freegin-ai: this freegin-ai was built from commit {plan.pin.rev[:12]} with uncommitted "
            "changes; the files pin that commit, without them"
        )
    return 0
