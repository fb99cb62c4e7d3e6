"""Render validation problems as text, GitHub workflow annotations or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from freegin_gitops.core.problems import Problem


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """One ``::error`` workflow command (escaped as GitHub's toolkit does)."""
    message = problem.message if not problem.path else f"{problem.json_path}: {problem.message}"
    where = f"file={_escape_property(problem.file)}"
    if problem.positioned:
        where += f",line={problem.line},col={problem.col}"
    return f"::error {where}::{_escape_data(message)}"


def github_warning(message: str, title: str, level: str = "warning") -> str:
    """One ``::warning`` (or ``::notice``) workflow command: shown on the run's summary page under
    GitHub Actions."""
    return f"::{level} title={_escape_property(title)}::{_escape_data(message)}"


def render_text(problems: Sequence[Problem]) -> str:
    return "".join(p.render() + "\n" for p in problems)


def render_github(problems: Sequence[Problem]) -> str:
    return "".join(github_annotation(p) + "\n" for p in problems)


def render_json(files: Sequence[str], problems: Sequence[Problem]) -> str:
    document = {
        "ok": not problems,
        "files": list(files),
        "problems": [
            {
                "file": p.file,
                "line": p.line if p.positioned else None,
                "col": p.col if p.positioned else None,
                "path": p.json_path,
                "message": p.message,
            }
            for p in problems
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def summary(files: Sequence[str], problems: Sequence[Problem]) -> str:
    """One sentence: what was checked and, if anything is wrong, the first problem."""
    if not problems:
        return f"{len(files)} catalog file(s) valid"
    broken = len({p.file for p in problems})
    return f"{len(problems)} problem(s) in {broken} file(s); first: {problems[0].render()}"
