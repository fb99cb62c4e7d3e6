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


def test_summary_counts_the_files_with_problems_and_names_the_first_problem() -> None:
    other = Problem("catalog/config.yaml", 2, 1, "unknown key")
    assert summary(["a", "b", "c"], [other, PROBLEM, other]) == (
        "3 problem(s) in 2 file(s); first: catalog/config.yaml:2:1: unknown key"
    )


def test_summary_of_a_valid_catalog_counts_its_files() -> None:
    assert summary(["a", "b"], []) == "2 catalog file(s) valid"


def test_json_report_is_two_space_indented_utf8_with_a_trailing_newline() -> None:
    problem = Problem("catalog/providers/groq.yaml", 0, 0, "naïve")
    text = render_json([], [problem])
    assert text.startswith('{\n  "ok": false,\n  "files": [],\n')
    assert '"message": "naïve"' in text and text.endswith("}\n")
    assert json.loads(render_json([], []))["ok"] is True


def test_github_warning_is_a_titled_escaped_workflow_command() -> None:
    from freegin_gitops.core.reporting import github_warning

    assert github_warning("50% left\nof the day", "budget: groq, day") == (
        "::warning title=budget%3A groq%2C day::50%25 left%0Aof the day"
    )
