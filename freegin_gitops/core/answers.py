"""Reading recommendations out of an LLM answer.

LLMs wrap JSON in prose, code fences, "thinking" blocks, or give one object per workload. This
module finds every JSON value in the text, keeps the objects of the requested form
(``{"workload": ..., "recommendations": [...]}``, alone or in a list), checks each against the
recommendations schema (through the ``check`` function given, so the core does no I/O) and returns
typed recommendations. Anything wrong is :class:`AnswerInvalid` naming what was expected: an
answer is used whole or not at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from freegin_gitops.core.refresh_model import Recommendation, WorkloadRecommendations
from freegin_gitops.errors import AnswerInvalid

SchemaCheck = Callable[[Any], list[str]]  # returns problems as "$.path: message" strings

_THINKING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)```", re.DOTALL)
EXPECTED = (
    '{"workload": "...", "recommendations": '
    '[{"model": "...", "reason": "...", "cost": "...", "speed": "..."}]}'
)


def _values(text: str) -> Iterator[Any]:
    """Every top-level JSON object or array in ``text``, left to right."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i != -1]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        yield value
        position = end


def json_values(text: str) -> list[Any]:
    """The JSON values of an answer: those in code fences if any parse, else those in the text."""
    text = _THINKING.sub("", text)
    fenced = [value for _, block in _FENCE.findall(text) for value in _values(block)]
    return fenced or list(_values(text))


def _first_json_error(text: str) -> str | None:
    """Why the first would-be JSON block of ``text`` does not parse, if there is one."""
    text = _THINKING.sub("", text)
    blocks = [block for _, block in _FENCE.findall(text)]
    start = min((i for i in (text.find("{"), text.find("[")) if i != -1), default=-1)
    candidate = blocks[0] if blocks else (text[start:] if start != -1 else "")
    if not candidate.strip():
        return None
    try:
        json.loads(candidate)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return None


def _candidates(values: list[Any]) -> list[Any]:
    """Objects that claim to be answers: {"workload", "recommendations"} alone or in lists."""
    found: list[Any] = []
    for value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and ("recommendations" in item or "workload" in item):
                found.append(item)
    return found


def parse_answer(text: str, check: SchemaCheck, who: str) -> list[WorkloadRecommendations]:
    """Recommendations per workload from the answer ``who`` gave; :class:`AnswerInvalid` if the
    answer has no usable object or any object is malformed."""
    if not text or not text.strip():
        raise AnswerInvalid(f"the answer from {who} is empty")
    values = json_values(text)
    if not values:
        error = _first_json_error(text)
        if error:
            raise AnswerInvalid(f"the JSON in the answer from {who} is invalid: {error}")
        raise AnswerInvalid(f"the answer from {who} holds no JSON; expected {EXPECTED}")
    objects = _candidates(values)
    if not objects:
        raise AnswerInvalid(f"the answer from {who} has no object of the form {EXPECTED}")
    merged: dict[str, list[Recommendation]] = {}
    for index, obj in enumerate(objects):
        problems = check(obj)
        if problems:
            where = (
                f"object {index + 1} of the answer from {who}"
                if len(objects) > 1
                else f"the answer from {who}"
            )
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise AnswerInvalid(f"{where} is not valid: {problems[0]}{more}")
        items = merged.setdefault(obj["workload"], [])
        seen = {r.model for r in items}
        for rec in obj["recommendations"]:
            if rec["model"] in seen:
                continue
            seen.add(rec["model"])
            items.append(
                Recommendation(
                    model=rec["model"],
                    reason=" ".join(rec["reason"].split()),
                    cost=rec.get("cost"),
                    speed=rec.get("speed"),
                )
            )
    return [WorkloadRecommendations(w, tuple(items)) for w, items in merged.items()]
