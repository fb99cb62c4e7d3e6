"""Rendering validation problems as text, GitHub annotations and JSON."""

from __future__ import annotations

import json

from freegin_gitops.core.problems import Problem, format_path
from freegin_gitops.core.reporting import github_annotation, render_json, render_text, summary

PROBLEM = Problem("catalog/providers/groq.yaml", 24, 13, "bad status", ("models", 0, "status"))


def test_json_paths() -> None:
    assert format_path(("models", 0, "hints", "max-tokens", "a b")) == ("$.models[0].hints.max-tokens['a b']")


def test_text() -> None:
    assert render_text([PROBLEM]) == ("catalog/providers/groq.yaml:24:13: $.models[0].status: bad status\n")


def test_text_of_a_whole_file_problem_has_no_path() -> None:
    problem = Problem("catalog/config.yaml", 1, 1, "empty")
    assert problem.render() == "catalog/config.yaml:1:1: empty"


def test_github_annotation() -> None:
    assert github_annotation(PROBLEM) == (
        "::error file=catalog/providers/groq.yaml,line=24,col=13::$.models[0].status: bad status"
    )


def test_github_annotation_escapes_what_would_end_the_command() -> None:
    problem = Problem("odd,name:x.yaml", 1, 2, "100% sure\nsecond line")
    assert github_annotation(problem) == (
        "::error file=odd%2Cname%3Ax.yaml,line=1,col=2::100%25 sure%0Asecond line"
    )


def test_json() -> None:
    document = json.loads(render_json(["catalog/providers/groq.yaml"], [PROBLEM]))
    assert document == {
        "ok": False,
        "files": ["catalog/providers/groq.yaml"],
        "problems": [
            {
                "file": "catalog/providers/groq.yaml",
                "line": 24,
                "col": 13,
                "path": "$.models[0].status",
                "message": "bad status",
            }
        ],
    }


def test_summary_names_the_first_problem() -> None:
    assert summary(["a", "b"], [PROBLEM, PROBLEM]) == (
        "2 problem(s) in 1 file(s); first: catalog/providers/groq.yaml:24:13: $.models[0].status: bad status"
    )


def test_a_problem_without_a_position_names_the_file_alone() -> None:
    from freegin_gitops.core.reporting import render_github, render_json, render_text

    problem = Problem("catalog/providers/pipe.yaml", 0, 0, "is a FIFO (named pipe), not a regular file")
    assert (
        render_text([problem]) == "catalog/providers/pipe.yaml: is a FIFO (named pipe), not a regular file\n"
    )
    assert render_github([problem]) == (
        "::error file=catalog/providers/pipe.yaml::is a FIFO (named pipe), not a regular file\n"
    )
    row = json.loads(render_json([problem.file], [problem]))["problems"][0]
    assert (row["line"], row["col"]) == (None, None)
