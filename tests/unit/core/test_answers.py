"""Reading recommendations out of messy LLM answers: a corpus of real-looking good and bad ones."""

from __future__ import annotations

import json

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
        ("bad-other-json.txt", "is not the expected shape: it holds an object with the key(s) 'models'"),
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


MIB = 1024 * 1024
HOSTILE = {
    "open braces": "{" * MIB,
    "open brackets": "[" * MIB,
    "thinking tags": "<think>" * (MIB // 7),
    "unclosed strings in brackets": '{"a": "' * (MIB // 7),
    "open arrays after keys": '{"a":[' * (MIB // 6),
    "fences": "```\n{" * (MIB // 5),
    "a fence opened before a megabyte of blanks": "```" + " \t" * (MIB // 2) + "x",
    "closers": "}]" * (MIB // 2),
    "empty objects": "{}" * (MIB // 2),
}


@pytest.mark.timeout(30)  # quadratic scanning took over a minute on the first of these
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_megabyte_of_hostile_text_is_one_clear_sentence(name: str) -> None:
    with pytest.raises(AnswerInvalid) as caught:
        parse_answer(HOSTILE[name], check, "p/m")
    message = str(caught.value)
    assert message.startswith(("the JSON in the answer from p/m is", "the answer from p/m ")), message
    assert "\n" not in message and len(message) < 400


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 20_000 + "1" + "}" * 20_000]
)
def test_deep_nesting_is_invalid_not_a_crash(text: str) -> None:
    with pytest.raises(
        AnswerInvalid, match=r"^the JSON in the answer from p/m is nested deeper than 32 levels$"
    ):
        parse_answer(text, check, "p/m")


def test_an_answer_after_deep_junk_is_still_read() -> None:
    junk = "[" * 200 + "]" * 200
    good = '{"workload": "chat", "recommendations": [{"model": "m", "reason": "r"}]}'
    assert [g.workload for g in parse_answer(f"{junk} then {good}", check, "p/m")] == ["chat"]


def test_an_answer_inside_an_unclosed_bracket_of_prose_is_read() -> None:
    good = '{"workload": "chat", "recommendations": [{"model": "m", "reason": "r"}]}'
    text = f"Notes {{see below, and [also: {good}"
    (group,) = parse_answer(text, check, "p/m")
    assert [r.model for r in group.items] == ["m"]


def test_an_unclosed_thinking_block_is_kept_and_a_closed_one_dropped() -> None:
    good = '{"workload": "chat", "recommendations": [{"model": "m", "reason": "r"}]}'
    draft = '{"workload": "chat", "recommendations": [{"model": "draft", "reason": "r"}]}'
    (group,) = parse_answer(f"<think>{draft}</THINK></think>{good}", check, "p/m")
    assert [r.model for r in group.items] == ["m"]
    (group,) = parse_answer(f"<reasoning>never closed {good}", check, "p/m")
    assert [r.model for r in group.items] == ["m"]


def answer_with_model(model: str) -> str:
    return json.dumps({"workload": "chat", "recommendations": [{"model": model, "reason": "r"}]})


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("llama\u0000evil", "holds a control character (U+0000)"),
        ("llama\u001b[31m", "holds a control character (U+001B)"),
        ("two words", "holds whitespace (U+0020 SPACE)"),
        ("tab\there", "holds whitespace (U+0009)"),
        ("llama\u200b3", "holds an invisible character (U+200B ZERO WIDTH SPACE)"),
        ("ll\u0430ma-3", "mixes Cyrillic and Latin letters, so it looks like an id it is not"),
        ("m\ue000", "holds a private-use or unassigned character (U+E000)"),
    ],
)
def test_model_ids_that_cannot_be_ids_are_invalid_recommendations(model: str, why: str) -> None:
    text = answer_with_model(model)
    with pytest.raises(AnswerInvalid) as caught:
        parse_answer(text, check, "p/m")
    message = str(caught.value)
    assert message.startswith("the answer from p/m is not valid: $.recommendations[0].model: the model id ")
    assert why in message
    assert message.isprintable()


def test_a_lone_surrogate_is_invalid_not_a_crash() -> None:
    text = '{"workload": "chat", "recommendations": [{"model": "m", "reason": "\\ud800 broken"}]}'
    with pytest.raises(AnswerInvalid, match=r"recommendations\[0\]\.reason: the text holds a lone surrogate"):
        parse_answer(text, check, "p/m")
    text = '{"workload": "chat", "recommendations": [{"model": "\\udfff", "reason": "r"}]}'
    with pytest.raises(AnswerInvalid, match="lone surrogate"):
        parse_answer(text, check, "p/m")


@pytest.mark.parametrize(
    ("number", "why"),
    [("9" * 5000, "it holds a number of 5000 digits"), ("1e999", "it holds the number 1e999 (too large"),
     ("NaN", "it holds NaN, which is not JSON")],
)  # fmt: skip
def test_numbers_that_cannot_be_read_are_invalid_not_a_crash(number: str, why: str) -> None:
    text = f'{{"workload": "chat", "recommendations": [], "n": {number}}}'
    with pytest.raises(AnswerInvalid) as caught:
        parse_answer(text, check, "p/m")
    assert str(caught.value).startswith(f"the JSON in the answer from p/m is invalid: {why}")


def test_control_characters_are_dropped_from_reasons() -> None:
    rec = {"model": "m", "reason": "fast\u0000 and\u0007 free", "cost": "free"}
    text = json.dumps({"workload": "chat", "recommendations": [rec]})
    rec = parse_answer(text, check, "p/m")[0].items[0]
    assert (rec.reason, rec.cost) == ("fast and free", "free")


def test_cost_and_speed_are_from_a_closed_vocabulary_even_with_hidden_characters() -> None:
    for field, value in (("cost", "free\u0000"), ("cost", "cheap"), ("speed", "blazing")):
        rec = {"model": "m", "reason": "r", field: value}
        text = json.dumps({"workload": "chat", "recommendations": [rec]})
        with pytest.raises(AnswerInvalid, match=f"recommendations\\[0\\].{field}: .* is not one of"):
            parse_answer(text, check, "p/m")


def test_too_many_json_values_is_invalid() -> None:
    good = '{"workload": "chat", "recommendations": []}'
    with pytest.raises(AnswerInvalid, match="holds more than 1000 JSON values"):
        parse_answer("[1] " * 1000 + good, check, "p/m")
