"""Reading recommendations out of an LLM answer.

LLMs wrap JSON in prose, code fences, "thinking" blocks, or give one object per workload. This
module finds every JSON value in the text, keeps the objects of the requested form
(``{"workload": ..., "recommendations": [...]}``, alone or in a list), checks each against the
recommendations schema (through the ``check`` function given, so the core does no I/O) and returns
typed recommendations. Anything wrong is :class:`AnswerInvalid` naming what was expected: an
answer is used whole or not at all.

An answer is hostile input (megabytes of ``{``, ``<think>`` a million times, ``[`` nested
100,000 deep), so every step is linear in its size: thinking blocks and fences are found with
plain searches, never a backtracking pattern; one pass over the text matches brackets (outside
JSON strings) into a tree of spans, and each span is decoded at most once, a span's children
only when it fails. Nesting deeper than :data:`MAX_DEPTH` is never handed to the JSON decoder
(whose recursion would overflow); it makes the answer invalid.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freegin_gitops.core.identifiers import id_problem, shown
from freegin_gitops.core.refresh_model import Recommendation, WorkloadRecommendations
from freegin_gitops.errors import AnswerInvalid

SchemaCheck = Callable[[Any], list[str]]  # returns problems as "$.path: message" strings

MAX_DEPTH = 32  # a real answer nests four deep
MAX_VALUES = 1000  # JSON values looked at in one answer; a real one has a handful
MAX_DIGITS = 64  # longest number in an answer (Python refuses to convert over 4,300 digits)
MAX_TOKENS = 100_000  # runs of brackets and strings scanned; a real answer has a few hundred
MAX_FENCES = 100  # code fences read; a real answer has one per workload at most

_THINKING_TAG = re.compile(r"<(/?)(think|thinking|reasoning)>", re.IGNORECASE)
_FENCE_OPEN = re.compile(r"[ \t]*+[A-Za-z0-9_-]*+[ \t]*+\n")  # possessive: no backtracking
_OUTSIDE = re.compile(r'[{\[]+|[}\]]+|"')
_STRING_BODY = re.compile(r'(?:[^"\\\n]++|\\.)*+')
_CLOSER = {"}": "{", "]": "["}
EXPECTED = (
    '{"workload": "...", "recommendations": '
    '[{"model": "...", "reason": "...", "cost": "...", "speed": "..."}]}'
)


def strip_thinking(text: str) -> str:
    """``text`` without its ``<think>...</think>`` (``thinking``, ``reasoning``) blocks; a block
    that is never closed is kept."""
    out: list[str] = []
    position = 0
    inside: str | None = None
    start = 0
    for match in _THINKING_TAG.finditer(text):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if inside is None and not closing:
            inside, start = name, match.start()
        elif inside == name and closing:
            out.append(text[position:start])
            position = match.end()
            inside = None
    out.append(text[position:])
    return "".join(out)


def fenced_blocks(text: str, limit: int = MAX_FENCES) -> list[str]:
    """The bodies of the ```` ``` ```` code fences in ``text``, in order; no more than
    ``limit`` + 1 of them (one more says there were too many)."""
    blocks: list[str] = []
    position = 0
    while len(blocks) <= limit:
        opening = text.find("```", position)
        if opening == -1:
            return blocks
        head = _FENCE_OPEN.match(text, opening + 3)
        if head is None:
            position = opening + 3
            continue
        closing = text.find("```", head.end())
        if closing == -1:
            return blocks
        blocks.append(text[head.end() : closing])
        position = closing + 3
    return blocks


@dataclass(slots=True)
class _Span:
    start: int
    end: int = -1
    too_deep: bool = False
    children: list[_Span] = field(default_factory=list)


@dataclass(slots=True)
class _Scan:
    """The top-level bracket spans of a text, and what stood out while finding them."""

    spans: list[_Span]
    deepest: int
    first_open: int  # -1 when the text has no bracket at all
    unclosed: bool
    too_busy: bool  # more than MAX_TOKENS runs of brackets and strings, or MAX_VALUES values


def _scan(text: str) -> _Scan:
    """Match brackets outside JSON strings in one pass.

    Strings only count inside brackets (a quote in prose is prose), are skipped whole by one
    regular-expression match, and end at a raw newline (JSON strings cannot hold one, and a stray
    quote must not swallow the rest). A run of brackets is one step: openers beyond
    :data:`MAX_DEPTH` are only counted, and closers are taken by ``str.find`` among those that
    can close something. So the steps are bounded by the runs of the text, and there are at most
    :data:`MAX_TOKENS` of those before the scan gives up.
    """
    top: list[_Span] = []
    stack: list[tuple[str, _Span]] = []
    overflow = 0  # openers beyond MAX_DEPTH, counted, not kept
    deepest = 0
    first_open = -1
    unclosed = False
    tokens = 0
    size = len(text)
    position = 0
    while True:
        match = _OUTSIDE.search(text, position)
        if match is None:
            break
        tokens += 1
        if tokens > MAX_TOKENS or (not stack and len(top) > MAX_VALUES):
            return _Scan(top, deepest, first_open, unclosed, too_busy=True)
        run, at, position = match.group(), match.start(), match.end()
        if run == '"':
            if stack:
                body = _STRING_BODY.match(text, position)
                assert body is not None  # it matches the empty string
                position = body.end()
                if position < size and text[position] in '"\n':
                    position += 1
            continue
        if run[0] in "{[":
            if first_open == -1:
                first_open = at
            room = max(0, MAX_DEPTH - len(stack))
            stack.extend((ch, _Span(at + k)) for k, ch in enumerate(run[:room]))
            if len(run) > room:
                overflow += len(run) - room
                stack[0][1].too_deep = True
            deepest = max(deepest, len(stack) + overflow)
            continue
        k = min(overflow, len(run))  # closers of counted openers
        overflow -= k
        while k < len(run) and stack:
            open_types = {ch for ch, _ in stack}
            nexts = [run.find(c, k) for c, o in (("}", "{"), ("]", "[")) if o in open_types]
            nexts = [n for n in nexts if n != -1]
            if not nexts:
                break
            k = min(nexts)
            opener = _CLOSER[run[k]]
            depth = max(d for d, (ch, _) in enumerate(stack) if ch == opener)
            while len(stack) - 1 > depth:  # openers never closed: what they held moves up
                _, lost = stack.pop()
                unclosed = True
                stack[-1][1].children.extend(lost.children)
            _, span = stack.pop()
            span.end = at + k + 1
            (stack[-1][1].children if stack else top).append(span)
            k += 1
    while stack:
        _, lost = stack.pop()
        unclosed = True
        (stack[-1][1].children if stack else top).extend(lost.children)
    return _Scan(top, deepest, first_open, unclosed, too_busy=False)


class _NumberTooLong(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _NumberTooLong(f"a number of {len(text.lstrip('-'))} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NumberTooLong(f"the number {text[:40]} (too large to be finite)")
    return value


def _parse_constant(name: str) -> float:
    raise _NumberTooLong(f"{name}, which is not JSON")


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)


@dataclass(slots=True)
class _Found:
    values: list[Any] = field(default_factory=list)
    first_error: str | None = None
    too_deep: bool = False
    too_many: bool = False


def _where(exc: json.JSONDecodeError, text: str) -> str:
    """The decoder's complaint and where in ``text``; some of its messages already end in "at"
    ("Unterminated string starting at"), which is not said twice."""
    line = text.count("\n", 0, exc.pos) + 1
    column = exc.pos - (text.rfind("\n", 0, exc.pos) + 1) + 1
    return f"{exc.msg.removesuffix(' at')} at line {line} column {column}"


def _decode(text: str, span: _Span, found: _Found) -> None:
    if len(found.values) >= MAX_VALUES:
        found.too_many = True
        return
    if span.too_deep:
        found.too_deep = True
        return
    piece = text[span.start : span.end]
    try:
        value, end = _DECODER.raw_decode(piece)
    except _NumberTooLong as exc:
        found.first_error = found.first_error or f"it holds {exc}"
        return
    except json.JSONDecodeError as exc:
        if found.first_error is None:
            found.first_error = _where(exc, piece)
        for child in span.children:
            _decode(text, child, found)
        return
    if end != len(piece):  # cannot happen for a matched span; kept strict all the same
        return
    found.values.append(value)


def _find(text: str) -> _Found:
    scan = _scan(text)
    found = _Found(too_deep=scan.deepest > MAX_DEPTH and not scan.spans, too_many=scan.too_busy)
    if scan.too_busy:
        return found
    for span in scan.spans:
        _decode(text, span, found)
    if not found.values and found.first_error is None and scan.unclosed and scan.deepest <= MAX_DEPTH:
        # Brackets opened and never closed: say where the JSON decoder gives up (it is linear
        # here, the nesting being shallow).
        try:
            _DECODER.raw_decode(text[scan.first_open :])
        except json.JSONDecodeError as exc:
            found.first_error = _where(exc, text[scan.first_open :])
        except _NumberTooLong as exc:
            found.first_error = f"it holds {exc}"
    return found


def json_values(text: str) -> list[Any]:
    """The JSON values of an answer: those in code fences if any parse, else those in the text."""
    return _json_values(text).values


def _json_values(text: str) -> _Found:
    text = strip_thinking(text)
    blocks = fenced_blocks(text)
    if len(blocks) > MAX_FENCES:
        return _Found(too_many=True)
    if blocks:
        fenced = _Found()
        for block in blocks:
            part = _find(block)
            fenced.values += part.values
            fenced.first_error = fenced.first_error or part.first_error
            fenced.too_deep |= part.too_deep
            fenced.too_many |= part.too_many
        if fenced.values:
            return fenced
        whole = _find(text)
        if whole.values:
            return whole
        return fenced if (fenced.first_error or fenced.too_deep) else whole
    return _find(text)


def _candidates(values: list[Any]) -> list[Any]:
    """Objects that claim to be answers: {"workload", "recommendations"} alone or in lists."""
    found: list[Any] = []
    for value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and ("recommendations" in item or "workload" in item):
                found.append(item)
    return found


def _shape(values: list[Any]) -> str:
    """What the JSON of an answer is, when it is not of the expected form."""
    first = values[0]  # a value of a bracket span: an object or a list
    if isinstance(first, dict):
        keys = ", ".join(repr(k) for k in list(first)[:5])
        return f"an object with the key(s) {keys}" if keys else "an empty object"
    return "a list of something else"


def _text_problem(value: Any, path: str) -> str | None:
    """A lone surrogate anywhere (it is not text: no YAML, JSON or schema check can take it)."""
    if isinstance(value, str):
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            return f"{path}: the text holds a lone surrogate, which is not text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key, path) or _text_problem(item, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problem = _text_problem(item, f"{path}[{i}]")
            if problem:
                return problem
    return None


def _id_problems(obj: dict[str, Any]) -> str | None:
    recommendations = obj.get("recommendations")
    if not isinstance(recommendations, list):
        return None
    for i, rec in enumerate(recommendations):
        model = rec.get("model") if isinstance(rec, dict) else None
        if isinstance(model, str):
            problem = id_problem(model)
            if problem is not None:
                return f"$.recommendations[{i}].model: the model id {shown(model)} {problem}"
    return None


def _plain(text: str) -> str:
    """Free text from an answer on one line, without control characters."""
    return "".join(ch for ch in " ".join(text.split()) if unicodedata.category(ch) != "Cc")


def parse_answer(text: str, check: SchemaCheck, who: str) -> list[WorkloadRecommendations]:
    """Recommendations per workload from the answer ``who`` gave; :class:`AnswerInvalid` if the
    answer has no usable object or any object is malformed."""
    if not text or not text.strip():
        raise AnswerInvalid(f"the answer from {who} is empty")
    found = _json_values(text)
    if found.too_many:
        raise AnswerInvalid(
            f"the answer from {who} holds more than {MAX_VALUES} JSON values, {MAX_FENCES} code fences or "
            f"{MAX_TOKENS} brackets and strings; an answer of the form asked for holds a handful"
        )
    if not found.values:
        if found.too_deep:
            raise AnswerInvalid(f"the JSON in the answer from {who} is nested deeper than {MAX_DEPTH} levels")
        if found.first_error:
            raise AnswerInvalid(f"the JSON in the answer from {who} is invalid: {found.first_error}")
        raise AnswerInvalid(f"the answer from {who} holds no JSON; expected {EXPECTED}")
    objects = _candidates(found.values)
    if not objects:
        raise AnswerInvalid(
            f"the answer from {who} is not the expected shape: it holds {_shape(found.values)}, "
            f"where {EXPECTED} was asked for"
        )
    merged: dict[str, list[Recommendation]] = {}
    for index, obj in enumerate(objects):
        problems = [p for p in (_text_problem(obj, "$"), _id_problems(obj)) if p]
        problems = problems or check(obj)
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
                    reason=_plain(rec["reason"]),
                    cost=_plain(rec["cost"]) if rec.get("cost") is not None else None,
                    speed=_plain(rec["speed"]) if rec.get("speed") is not None else None,
                )
            )
    return [WorkloadRecommendations(w, tuple(items)) for w, items in merged.items()]
