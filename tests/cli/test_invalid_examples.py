"""Every file in tests/examples/invalid/ is refused by ``validate`` with the position and message
its second line promises, in every output format, and without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import Cli, Example, invalid_examples

pytestmark = pytest.mark.timeout(10)  # each case takes well under a second

EXAMPLES = invalid_examples()
by_name = {example.name: example for example in EXAMPLES}


PLACES = {
    "provider": "catalog/providers/",
    "suggestions": "catalog/suggestions/",
    "workloads": "catalog/workloads.yaml",
    "config": "catalog/config.yaml",
}


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLES) >= 22


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_name_starts_with_the_kind_of_its_place(example: Example) -> None:
    assert example.place.startswith(PLACES[example.kind])


@pytest.fixture(params=EXAMPLES, ids=str)
def placed(request: pytest.FixtureRequest, catalog_repo: Path) -> Example:
    """The example written at its place in a git repository holding the starter catalog."""
    example: Example = request.param
    example.put(catalog_repo)
    return example


def _no_traceback(output: str) -> bool:
    return "Traceback" not in output and "internal error" not in output


def test_validate_text_reports_place_line_and_message(cli: Cli, catalog_repo: Path, placed: Example) -> None:
    run = cli("--repo", catalog_repo, "validate")
    assert run.code == 1
    assert _no_traceback(run.output)
    where = f"{placed.place}:{placed.line}:"
    reported = [line for line in run.stdout.splitlines() if line.startswith(where)]
    assert any(placed.message in line for line in reported), run.stdout


def test_validate_github_annotates_place_and_line(cli: Cli, catalog_repo: Path, placed: Example) -> None:
    run = cli("--repo", catalog_repo, "validate", "--format", "github")
    assert run.code == 1
    assert _no_traceback(run.output)
    prefix = f"::error file={placed.place},line={placed.line},"
    assert any(line.startswith(prefix) for line in run.stdout.splitlines()), run.stdout


def test_validate_json_lists_the_problem(cli: Cli, catalog_repo: Path, placed: Example) -> None:
    run = cli("--repo", catalog_repo, "validate", "--format", "json")
    assert run.code == 1
    document = json.loads(run.stdout)
    assert not document["ok"]
    assert any(
        p["file"] == placed.place and p["line"] == placed.line and placed.message in p["message"]
        for p in document["problems"]
    ), document["problems"]


def test_a_file_outside_the_repository_is_reported_by_its_own_path(
    cli: Cli, catalog_repo: Path, tmp_path: Path
) -> None:
    example = by_name["provider-bad-enum"]
    outside = tmp_path / "elsewhere" / "groq.yaml"
    outside.parent.mkdir()
    outside.write_bytes(example.raw)
    run = cli("--repo", catalog_repo, "validate", outside)
    assert run.code == 1
    assert f"{outside}:{example.line}:" in run.stdout


def test_a_python_tag_runs_nothing(cli: Cli, catalog_repo: Path, isolated: Path) -> None:
    by_name["provider-python-tag"].put(catalog_repo)
    for cwd in (isolated, catalog_repo):
        cli("--repo", catalog_repo, "validate", cwd=cwd)
    assert not (isolated / "freegin-tag-ran").exists()
    assert not (catalog_repo / "freegin-tag-ran").exists()


def test_the_python_tag_example_would_run_a_command_if_constructed(isolated: Path) -> None:
    """The control for the test above: an unsafe loader does create the marker file."""
    raw = by_name["provider-python-tag"].raw.decode("utf-8")
    yaml.unsafe_load(raw)
    assert (isolated / "freegin-tag-ran").exists()
