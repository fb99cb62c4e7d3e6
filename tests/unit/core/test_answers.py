"""Reading recommendations out of messy LLM answers: a corpus of real-looking good and bad ones."""

from __future__ import annotations

import pytest

from freegin_gitops.adapters import schema_check
from freegin_gitops.core.answers import json_values, parse_answer
from freegin_gitops.core.problems import format_path
from freegin_gitops.errors import AnswerInvalid
from tests.helpers import EXAMPLES

CORPUS = EXAMPLES / "answers"


def check(obj: object) -> list[str]:
    return [
        f"{format_path(p.path)}: {p.message}" for p in schema_check.check("recommendations", obj, "answer")
    ]


def parsed(name: str) -> dict[str, list[str]]:
    text = (CORPUS / name).read_text()
    return {g.workload: [r.model for r in g.items] for g in parse_answer(text, check, "hf/model")}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("good-*.txt")))
def test_good_answers_are_read(name: str) -> None:
    result = parsed(name)
    assert result
    assert "draft-model" not in str(result)  # thinking is not the answer


def test_two_workloads_from_one_fenced_array() -> None:
    assert parsed("good-fenced-with-prose.txt") == {
        "chat": ["llama-4-maverick"],
        "code": ["qwen/qwen3-coder"],
    }


def test_objects_in_several_fences_and_in_prose_are_all_read() -> None:
    expected = {"chat": ["llama-4-maverick"], "code": ["qwen/qwen3-coder"]}
    assert parsed("good-several-fences.txt") == expected
    assert parsed("good-bare-objects-in-prose.txt") == expected


def test_an_empty_list_means_nothing_better() -> None:
    assert parsed("good-empty-list.txt") == {"chat": []}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-no-json.txt", "holds no JSON"),
        ("bad-invalid-json.txt", "is invalid: Expecting property name enclosed in double quotes at line 1"),
        ("bad-wrong-types.txt", "expected a list"),
        ("bad-missing-reason.txt", "'reason' is missing"),
        ("bad-unknown-key.txt", "unknown key 'context'"),
        ("bad-one-of-two-invalid.txt", "object 2 of the answer from hf/model is not valid"),
        ("bad-other-json.txt", "has no object of the form"),
        ("bad-empty.txt", "is empty"),
    ],
)
def test_bad_answers_are_refused_whole_with_one_sentence(name: str, message: str) -> None:
    with pytest.raises(AnswerInvalid) as caught:
        parse_answer((CORPUS / name).read_text(), check, "hf/model")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "hf/model" in str(caught.value)


def test_repeated_models_and_workload_objects_are_merged() -> None:
    text = (
        '{"workload": "chat", "recommendations": '
        '[{"model": "a", "reason": "x"}, {"model": "a", "reason": "y"}]}'
        '{"workload": "chat", "recommendations": [{"model": "b", "reason": "z"}]}'
    )
    (group,) = parse_answer(text, check, "who")
    assert [r.model for r in group.items] == ["a", "b"]


def test_whitespace_in_reasons_is_folded() -> None:
    text = '{"workload": "chat", "recommendations": [{"model": "a", "reason": "two\\n  lines"}]}'
    assert parse_answer(text, check, "who")[0].items[0].reason == "two lines"


def test_json_values_skip_brackets_that_are_not_json() -> None:
    assert json_values('see [docs] and {this} then [1, 2] and {"a": 1}') == [[1, 2], {"a": 1}]
