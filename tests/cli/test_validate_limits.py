"""``validate`` on free-tier limits: counted limits are positive integers, ``day_resets`` one of
three words, on a provider and on a model; each problem is one ``file:line:col`` line naming the
key, and the exit status is 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Cli

GROQ = "catalog/providers/groq.yaml"
MODEL_LIMITS = (  # llama-3.3-70b-versatile's, models[1]
    "    limits: {requests_per_minute: 30, requests_per_day: 1000, tokens_per_minute: 12000, "
    "tokens_per_day: 100000}"
)


def line_of(repo: Path, text: str) -> int:
    lines = (repo / GROQ).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


def edit(repo: Path, old: str, new: str) -> None:
    path = repo / GROQ
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0", "0 is less than the minimum of 1"),
        ("-5", "-5 is less than the minimum of 1"),
        ("1.5", "expected an integer, got a number (1.5)"),
        ("'1000'", "expected an integer, got a string ('1000')"),
        ("true", "expected an integer, got a boolean (true)"),
    ],
)
def test_a_models_limit_that_is_not_a_positive_integer_is_refused(
    cli: Cli, catalog_repo: Path, value: str, says: str
) -> None:
    edit(
        catalog_repo,
        MODEL_LIMITS,
        MODEL_LIMITS.replace("requests_per_day: 1000", f"requests_per_day: {value}"),
    )
    run = cli("--repo", catalog_repo, "validate")
    assert run.code == 1
    (line,) = run.stdout.splitlines()
    where = line_of(catalog_repo, "    limits: {requests_per_minute: 30, requests_per_day: " + value)
    assert line.startswith(f"{GROQ}:{where}:")
    assert "$.models[1].limits.requests_per_day" in line
    assert says in line.replace('"', "'")


@pytest.mark.parametrize("key", ["requests_per_minute", "tokens_per_minute", "tokens_per_day"])
def test_a_providers_limit_must_be_a_positive_integer(cli: Cli, catalog_repo: Path, key: str) -> None:
    edit(catalog_repo, "limits:\n  day_resets: rolling\n", f"limits:\n  day_resets: rolling\n  {key}: 0\n")
    run = cli("--repo", catalog_repo, "validate")
    assert run.code == 1
    (line,) = run.stdout.splitlines()
    assert line.startswith(f"{GROQ}:12:") and f"$.limits.{key}" in line


def test_day_resets_is_one_of_three_words(cli: Cli, catalog_repo: Path) -> None:
    edit(catalog_repo, "  day_resets: rolling\n", "  day_resets: weekly\n")
    run = cli("--repo", catalog_repo, "validate")
    assert run.code == 1
    (line,) = run.stdout.splitlines()
    assert line.startswith(f"{GROQ}:11:")
    assert "weekly" in line and "utc-midnight, pacific-midnight, rolling" in line


def test_a_model_may_have_its_own_day_resets_and_every_key(cli: Cli, catalog_repo: Path) -> None:
    edit(
        catalog_repo,
        MODEL_LIMITS,
        MODEL_LIMITS.replace("}", ", day_resets: pacific-midnight}"),
    )
    assert cli("--repo", catalog_repo, "validate").code == 0


def test_an_unknown_limit_key_is_refused(cli: Cli, catalog_repo: Path) -> None:
    edit(catalog_repo, MODEL_LIMITS, MODEL_LIMITS.replace("requests_per_day", "request_per_day"))
    run = cli("--repo", catalog_repo, "validate")
    assert run.code == 1
    assert "request_per_day" in run.stdout and "requests_per_day" in run.stdout
