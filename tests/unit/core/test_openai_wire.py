"""OpenAI's wire format as the gateway speaks it (pure: bytes and plain data)."""

from __future__ import annotations

import json

import pytest

from freegin_gitops.core.openai_wire import (
    ChatRequest,
    ChunkFacts,
    EventSplitter,
    EventTooLarge,
    Target,
    chunk_facts,
    error_body,
    event_data,
    load_json,
    models_listing,
    parse_chat_request,
    resolve_target,
    stream_error_event,
    upstream_body,
)
from freegin_gitops.errors import RequestRefused
from tests.unit.core.test_routing import compiled

MESSAGES = [{"role": "user", "content": "hi"}]


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_request_keeps_every_field_and_only_model_changes_upstream() -> None:
    raw = body(model="chat", messages=MESSAGES, temperature=0.2, tools=[{"type": "function"}], stream=True)
    request = parse_chat_request(raw)
    assert (request.model, request.stream) == ("chat", True)
    sent = json.loads(upstream_body(request, "llama-3"))
    assert sent == {**json.loads(raw), "model": "llama-3"}


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (b"{not json", "invalid_json", None),
        (b"[1, 2]", "invalid_request", None),
        (body(messages=MESSAGES), "missing_field", "model"),
        (body(model="", messages=MESSAGES), "missing_field", "model"),
        (body(model=3, messages=MESSAGES), "missing_field", "model"),
        (body(model="chat"), "missing_field", "messages"),
        (body(model="chat", messages=[]), "missing_field", "messages"),
        (body(model="chat", messages=["hi"]), "invalid_value", "messages[0]"),
        (body(model="chat", messages=[{"content": "x"}]), "invalid_value", "messages[0]"),
        (body(model="chat", messages=MESSAGES, stream="yes"), "invalid_value", "stream"),
        (b"[" * 100_000, "invalid_json", None),
    ],
)
def test_bad_requests_are_400_naming_the_field(raw: bytes, code: str, param: str | None) -> None:
    with pytest.raises(RequestRefused) as caught:
        parse_chat_request(raw)
    assert (caught.value.status, caught.value.code, caught.value.param) == (400, code, param)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"seed": 123456789012345678901234567890}',  # beyond 64 bits: orjson would make it a float
        b'{"seed": -9999999999999999999}',
        b'{"temperature": NaN}',
        b'{"temperature": Infinity}',
        b'\xef\xbb\xbf{"a": 1}',  # a byte-order mark
        b'{"a": "x\\ud800"}',  # a lone surrogate
    ],
)
def test_json_orjson_reads_differently_is_read_and_written_by_the_standard_library(raw: bytes) -> None:
    value, fast = load_json(raw)
    assert not fast
    assert repr(value) == repr(json.loads(raw))
    request = parse_chat_request(raw[:-1] + b', "model": "chat", "messages": [{"role": "user"}]}')
    sent = json.loads(upstream_body(request, "m"))
    assert repr(sent) == repr({**value, "model": "m", "messages": [{"role": "user"}]})


def test_ordinary_json_is_read_by_orjson_and_written_the_same() -> None:
    raw = body(model="chat", messages=[{"role": "user", "content": "héllo \u2028 \x00"}], top_p=0.5, n=2)
    value, fast = load_json(raw)
    assert fast and value == json.loads(raw)
    request = parse_chat_request(raw)
    assert request.orjson
    assert json.loads(upstream_body(request, "m")) == {**json.loads(raw), "model": "m"}
    with pytest.raises(ValueError):
        load_json(b'{"a": 1,}')


def test_stream_null_means_plain() -> None:
    assert parse_chat_request(body(model="chat", messages=MESSAGES, stream=None)).stream is False


def test_model_names_a_workload_or_a_catalog_candidate() -> None:
    catalog = compiled([("alpha", "a1"), ("beta", "org/b-2")], pending=[("beta", "p1")])
    assert resolve_target(catalog, "chat") == Target("chat")
    assert resolve_target(catalog, "beta/org/b-2") == Target("chat", "beta", "org/b-2")
    assert resolve_target(catalog, "beta/p1") == Target("chat", "beta", "p1")


@pytest.mark.parametrize("name", ["nope", "alpha/unknown", "zeta/a1", "alpha", "a1", "/a1", "alpha/"])
def test_anything_else_is_404_listing_the_workloads(name: str) -> None:
    catalog = compiled([("alpha", "a1")])
    with pytest.raises(RequestRefused) as caught:
        resolve_target(catalog, name)
    assert caught.value.status == 404
    assert caught.value.code == "model_not_found"
    assert "chat, code" in str(caught.value)


def test_models_lists_workloads_then_catalog_models_once() -> None:
    catalog = compiled([("alpha", "a1"), ("beta", "b1")], defaults=[("alpha", "a1")])
    ids = [m["id"] for m in models_listing(catalog)["data"]]
    assert ids == ["chat", "code", "alpha/a1", "beta/b1"]
    assert models_listing(catalog)["object"] == "list"


def test_a_deprecated_model_is_listed_after_the_active_ones_and_can_be_named() -> None:
    catalog = compiled([("beta", "b1")], pending=[("alpha", "p1")], deprecated=[("alpha", "old")])
    ids = [m["id"] for m in models_listing(catalog)["data"]]
    assert ids == ["chat", "code", "beta/b1", "alpha/old", "alpha/p1"]
    assert resolve_target(catalog, "alpha/old") == Target("chat", "alpha", "old")


def test_error_body_has_openai_shape() -> None:
    document = json.loads(error_body(404, "no such model", "model_not_found", "model"))
    assert document == {
        "error": {
            "message": "no such model",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }
    assert json.loads(error_body(429, "slow"))["error"]["type"] == "rate_limit_error"
    assert json.loads(error_body(502, "down"))["error"]["type"] == "upstream_error"


def test_events_are_cut_at_blank_lines_across_chunks_and_line_ends() -> None:
    splitter = EventSplitter(1000)
    assert splitter.feed(b"data: one\n") == []
    assert splitter.feed(b"\ndata: tw") == [b"data: one"]
    assert splitter.feed(b"o\r") == []
    assert splitter.feed(b"\n\r\n: comment\n\ndata: three\n\n") == [
        b"data: two",
        b": comment",
        b"data: three",
    ]
    assert splitter.feed(b"data: tail") == []
    assert splitter.leftover == b"data: tail"


def test_an_endless_event_is_refused() -> None:
    splitter = EventSplitter(10)
    splitter.feed(b"data: 12")
    with pytest.raises(EventTooLarge):
        splitter.feed(b"345678")


def test_event_data_joins_data_lines_and_ignores_comments() -> None:
    assert event_data(b'event: x\ndata: {"a"\ndata:1}') == b'{"a"\n1}'
    assert event_data(b": keep-alive") is None
    assert event_data(b"data: [DONE]") == b"[DONE]"


def test_chunk_facts_find_usage_and_in_band_errors_only() -> None:
    usage = b'{"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}'
    assert chunk_facts(usage) == ChunkFacts(None, 3, 4, 7)
    assert chunk_facts(b'{"error": {"message": "overloaded"}}') == ChunkFacts(error="overloaded")
    assert chunk_facts(b'{"choices": [{"delta": {"content": "hi"}}]}') is None
    assert chunk_facts(b'{"choices": [{"delta": {"content": "the word \\"usage\\""}}]}') is None
    assert chunk_facts(b'{"usage": {"total_tokens": true}}') == ChunkFacts(None, None, None, None)


def test_the_stream_error_event_is_what_the_sdk_raises_on() -> None:
    event = stream_error_event("alpha/a1: timed out", "timeout")
    assert event.startswith(b"data: ") and event.endswith(b"\n\n")
    assert json.loads(event[6:])["error"]["message"] == "alpha/a1: timed out"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "invalid_request_error"),
        (404, "invalid_request_error"),
        (405, "invalid_request_error"),
        (413, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "server_error"),
        (502, "upstream_error"),
        (503, "upstream_error"),
        (504, "server_error"),  # any other status
    ],
)
def test_each_error_status_has_the_type_openai_sends_with_it(status: int, kind: str) -> None:
    assert json.loads(error_body(status, "x"))["error"]["type"] == kind


def test_error_texts_are_sent_as_utf_8_not_escaped() -> None:
    assert "modèle inconnu".encode() in error_body(404, "modèle inconnu")
    assert "délai dépassé".encode() in stream_error_event("délai dépassé", "timeout")


def test_a_request_the_standard_library_read_is_sent_on_as_utf_8() -> None:
    raw = body(model="chat", messages=[{"role": "user", "content": "héllo"}], seed=2**70)
    request = parse_chat_request(raw)
    assert not request.orjson
    sent = upstream_body(request, "m")
    assert "héllo".encode() in sent and str(2**70).encode() in sent


def test_a_request_made_without_saying_who_read_it_is_written_by_the_standard_library() -> None:
    request = ChatRequest({"model": "chat", "messages": MESSAGES, "seed": 2**70}, "chat", False)
    assert json.loads(upstream_body(request, "m"))["seed"] == 2**70  # orjson cannot write it


def test_a_request_without_stream_is_not_streamed() -> None:
    assert parse_chat_request(body(model="chat", messages=MESSAGES)).stream is False


def test_the_model_listing_entries_have_openais_shape_and_a_model_in_two_workloads_is_listed_once() -> None:
    catalog = compiled([("alpha", "a1")])
    catalog.document["candidates"]["code"]["active"] = [{"provider": "alpha", "model": "a1", "hints": {}}]
    assert models_listing(catalog)["data"] == [
        {"id": "chat", "object": "model", "created": 0, "owned_by": "freegin-ai"},
        {"id": "code", "object": "model", "created": 0, "owned_by": "freegin-ai"},
        {"id": "alpha/a1", "object": "model", "created": 0, "owned_by": "alpha"},
    ]


def test_an_unfinished_event_of_exactly_the_limit_is_kept() -> None:
    splitter = EventSplitter(10)
    assert splitter.feed(b"data: 1234") == []
    assert splitter.feed(b"\n\n") == [b"data: 1234"]
    with pytest.raises(EventTooLarge):
        splitter.feed(b"data: 12345")
