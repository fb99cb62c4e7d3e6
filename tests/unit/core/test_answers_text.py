"""Reading an answer's text: code fences before prose, thinking blocks, brackets that are not
JSON, the limits on hostile answers, and the sentence that says what is wrong."""

from __future__ import annotations

import json

import pytest

from freegin_gitops.core.answers import MAX_DEPTH, MAX_FENCES, parse_answer, strip_thinking
from freegin_gitops.errors import AnswerInvalid
from tests.unit.core.test_answers import check


def answer(*models: str, workload: str = "chat") -> str:
    recs = [{"model": m, "reason": "r"} for m in models]
    return json.dumps({"workload": workload, "recommendations": recs})


def models(text: str) -> dict[str, list[str]]:
    return {g.workload: [r.model for r in g.items] for g in parse_answer(text, check, "p/m")}


def refusal(text: str) -> str:
    with pytest.raises(AnswerInvalid) as caught:
        parse_answer(text, check, "p/m")
    return str(caught.value)


EXAMPLE = answer("example-model")


# -- code fences -------------------------------------------------------------------------------
def test_the_fenced_answer_wins_over_an_example_in_the_prose() -> None:
    text = f"The form is {EXAMPLE}.\n```json\n{answer('real')}\n```\nHope this helps."
    assert models(text) == {"chat": ["real"]}


def test_a_fence_at_the_very_start_is_read() -> None:
    assert models(f"```json\n{answer('real')}\n```\nFor instance {EXAMPLE}") == {"chat": ["real"]}


def test_every_fence_is_read_in_order() -> None:
    text = f"```\n{answer('a')}\n```\nand\n```json\n{answer('b', workload='code')}\n```\n{EXAMPLE}"
    assert models(text) == {"chat": ["a"], "code": ["b"]}


def test_inline_triple_backticks_are_not_a_fence() -> None:
    text = f"Run ```pip install x``` first.\n```json\n{answer('real')}\n```\n{EXAMPLE}"
    assert models(text) == {"chat": ["real"]}


def test_an_answer_in_a_fence_never_closed_is_read_from_the_text() -> None:
    assert models(f"Here:\n```json\n{answer('real')}") == {"chat": ["real"]}


def test_fences_without_json_leave_the_answer_in_the_prose() -> None:
    assert models(f"```bash\nls -l\n```\n{answer('real')}") == {"chat": ["real"]}


def test_the_error_named_is_the_fenced_jsons_not_the_prose_brackets() -> None:
    broken = '{"workload": "chat", "recommendations": [{"model": "m",}]}'
    message = refusal(f"Answer [see below]:\n```json\n{broken}\n```\n")
    assert message == (
        "the JSON in the answer from p/m is invalid: "
        "Expecting property name enclosed in double quotes at line 1 column 56"
    )


def test_as_many_fences_as_allowed_are_read_and_one_more_is_too_many() -> None:
    filler = "```\nnothing\n```\n" * (MAX_FENCES - 1)
    assert models(f"{filler}```json\n{answer('real')}\n```") == {"chat": ["real"]}
    assert "100 code fences" in refusal(f"{filler}```\nx\n```\n```json\n{answer('real')}\n```")


# -- thinking ----------------------------------------------------------------------------------
def test_a_thinking_block_is_cut_out_with_the_text_around_it_kept() -> None:
    assert strip_thinking("before <think>draft</think> after") == "before  after"


def test_a_block_ends_only_at_its_own_closing_tag() -> None:
    assert strip_thinking("<think>a <reasoning>b</think>c") == "c"
    assert strip_thinking("x<think>a</reasoning>b") == "x<think>a</reasoning>b"
    assert strip_thinking("<think>a<think>b</think>c") == "c"


def test_a_closing_tag_alone_is_text() -> None:
    assert strip_thinking("</think>x<think>draft</think>y") == "</think>xy"


# -- brackets and strings ----------------------------------------------------------------------
def test_a_quote_in_the_prose_does_not_hide_the_answer() -> None:
    assert models(f'The model "m is great. {answer("real")}') == {"chat": ["real"]}


def test_an_answer_inside_brackets_that_are_not_json_is_read() -> None:
    assert models(f"{{note: see {answer('real')} }}") == {"chat": ["real"]}
    assert models(f"{{note [unclosed {answer('real')} }}") == {"chat": ["real"]}
    assert models(f"list: [{answer('real')}") == {"chat": ["real"]}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            'Sure:\n{"workload": "chat", "recommendations": [{"model": "m", "reason": "fast',
            "Unterminated string starting at line 1 column 67",
        ),
        ('Sure:\n{"workload": "chat",\n  "recommendations": [', "Expecting value at line 2 column 23"),
        ("[" * MAX_DEPTH, f"Expecting value at line 1 column {MAX_DEPTH + 1}"),
    ],
)
def test_a_truncated_answer_says_where_it_breaks_off(text: str, why: str) -> None:
    assert refusal(text) == f"the JSON in the answer from p/m is invalid: {why}"


def test_nesting_as_deep_as_allowed_is_read_and_one_deeper_is_refused() -> None:
    shape = "not the expected shape: it holds a list of something else"
    assert shape in refusal("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert "nested deeper than 32 levels" in refusal("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_as_many_brackets_and_strings_as_allowed_are_scanned_and_one_more_is_too_many() -> None:
    # "[", then one string per item, then "]": 100,000 runs in all (the sentence names the figure)
    fits = "[" + '"a",' * (100_000 - 3) + '"a"]'
    assert "it holds a list of something else" in refusal(fits)
    assert "holds more than 1000 JSON values" in refusal("[" + '"a",' * (100_000 - 2) + '"a"]')


def test_a_thousand_json_values_are_still_read() -> None:
    assert models("[1] " * 999 + answer("real")) == {"chat": ["real"]}


# -- numbers -----------------------------------------------------------------------------------
def test_numbers_of_up_to_64_digits_are_read() -> None:
    assert "a list of something else" in refusal(f"[{'9' * 64}, -{'9' * 64}]")
    assert "it holds a number of 65 digits" in refusal(f"[-{'9' * 65}]")


def test_a_number_too_large_to_be_finite_is_shown_cut_to_40_characters() -> None:
    number = "1" + "0" * 60 + "e999"
    assert f"it holds the number {number[:40]} (too large to be finite)" in refusal(f"[{number}]")


# -- the shape, the objects, the sentence -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("[1, 2]", "a list of something else"),
        ("{}", "an empty object"),
        (
            '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}',
            "an object with the key(s) 'a', 'b', 'c', 'd', 'e', where",
        ),
    ],
)
def test_json_of_another_shape_is_described(text: str, shape: str) -> None:
    assert f"it holds {shape}" in refusal(f"```json\n{text}\n```")


def test_an_object_naming_a_workload_without_recommendations_is_a_malformed_answer() -> None:
    assert refusal('{"workload": "chat"}') == (
        "the answer from p/m is not valid: $: the required key 'recommendations' is missing"
    )


def test_a_fractional_number_is_read_as_one() -> None:
    text = '{"workload": "chat", "recommendations": [{"model": "m", "reason": 3.5}]}'
    assert refusal(text).endswith("reason: expected a string, got a number (3.5)")


def test_a_blank_answer_is_empty() -> None:
    assert refusal(" \n\t ") == "the answer from p/m is empty"


def test_the_first_problem_is_named_with_how_many_more_there_are() -> None:
    one = '{"workload": "chat", "recommendations": [{"model": "m"}]}'
    two = '{"workload": "chat", "recommendations": [{"model": "m", "x": 1}]}'
    three = '{"workload": "chat", "recommendations": [{"model": "m", "x": 1, "y": 2}]}'
    assert not refusal(one).endswith("more)")
    assert refusal(two).endswith(" (and 1 more)")
    assert refusal(three).endswith(" (and 2 more)")


def test_the_last_surrogate_code_point_is_refused_too() -> None:
    text = '{"workload": "chat", "recommendations": [{"model": "m", "reason": "\\udfff"}]}'
    assert "recommendations[0].reason: the text holds a lone surrogate" in refusal(text)
