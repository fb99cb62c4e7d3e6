"""Validation problems: where they are, and the order they are reported in."""

from __future__ import annotations

from freegin_gitops.core.problems import Problem

A1 = Problem("catalog/a.yaml", 9, 1, "z")
A2 = Problem("catalog/a.yaml", 10, 1, "a")
A3 = Problem("catalog/a.yaml", 10, 4, "a")
A4 = Problem("catalog/a.yaml", 10, 4, "b")
B1 = Problem("catalog/b.yaml", 1, 1, "a")


def test_problems_are_reported_by_file_then_line_column_and_message() -> None:
    assert sorted([B1, A4, A3, A2, A1], key=Problem.sort_key) == [A1, A2, A3, A4, B1]


def test_a_problem_without_a_line_names_only_its_file() -> None:
    assert Problem("catalog/a.yaml", 0, 0, "unreadable").render() == "catalog/a.yaml: unreadable"
