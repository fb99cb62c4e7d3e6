"""Streamed completions through the gateway in process: fallback until the first data event,
an error event after it, events passed on as the provider sent them, every attempt recorded."""

from __future__ import annotations

import json

from tests.integration.serve.conftest import KEY_A
from tests.support.fake_openai import Reply

CHAT = {"model": "chat", "messages": [{"role": "user", "content": "Say hello"}], "stream": True}


def events(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block]


def content(text: str) -> str:
    pieces = []
    for block in events(text):
        data = block.removeprefix("data: ")
        if data != "[DONE]":
            chunk = json.loads(data)
            pieces += [c["delta"].get("content") or "" for c in chunk.get("choices", [])]
    return "".join(pieces)


def test_a_stream_is_passed_on_event_by_event_with_usage_and_done(gateway, server):
    usage = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    server.script("alpha", Reply.stream("Hel", "lo", usage=usage))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        rows = gw.rows()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-freegin-provider"] == "alpha"
    sent = [e.decode().strip() for e in server.script_events("alpha")]
    assert events(response.text) == sent  # byte for byte, [DONE] included
    assert content(response.text) == "Hello"
    assert [(r["provider"], r["success"], r["total_tokens"]) for r in rows] == [("alpha", 1, 6)]
    assert "stream" in next(line for line in gw.log_lines if "/v1/chat/completions" in line)


def test_failures_before_the_first_data_event_fall_back(gateway, server):
    server.script(
        "alpha",
        Reply(500, {"error": {"message": "boom"}}),
        Reply(200, None, events=[b": keep-alive\n\n", b'data: {"error": {"message": "overloaded"}}\n\n']),
    )
    server.script("beta", Reply.stream("from beta"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        rows = gw.rows()
    assert response.status_code == 200
    assert content(response.text) == "from beta"
    assert "keep-alive" not in response.text
    assert [(r["provider"], r["model"], r["success"], r["error_kind"]) for r in rows] == [
        ("alpha", "a1", 0, "server_error"),
        ("alpha", "a2", 0, "stream_error"),
        ("beta", "b1", 1, None),
    ]


def test_a_stream_that_ends_before_any_data_falls_back(gateway, server):
    server.script("alpha", Reply(200, None, events=[b": only a comment\n\n"]))
    server.script("beta", Reply.stream("ok"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        kinds = [r["error_kind"] for r in gw.rows()]
    assert content(response.text) == "ok"
    assert kinds == ["bad_response", "bad_response", None]


def test_a_stream_broken_after_it_started_ends_with_an_error_event(gateway, server):
    server.script("alpha", Reply.stream("one ", "two ", "three", break_after=2))
    server.script("beta", Reply.stream("never"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        rows = gw.rows()
    blocks = events(response.text)
    assert content("\n\n".join(blocks[:-1])) == "one "
    error = json.loads(blocks[-1].removeprefix("data: "))["error"]
    assert error["code"] in ("connect", "stream_error")
    assert "alpha/a1" in error["message"]
    assert "[DONE]" not in response.text
    assert server.calls("beta") == []  # too late to fall back: the client had the first bytes
    assert [(r["provider"], r["success"]) for r in rows] == [("alpha", 0)]


def test_a_stream_without_done_is_ended_with_done(gateway, server):
    server.script("alpha", Reply.stream("fine", done=False))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        rows = gw.rows()
    assert response.text.endswith("data: [DONE]\n\n")
    assert [r["success"] for r in rows] == [1]


def test_a_key_echoed_in_a_stream_is_masked(gateway, server):
    server.script("alpha", Reply.stream("key ", KEY_A, " end"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    assert KEY_A not in response.text
    assert content(response.text) == "key *** end"


def test_a_key_cut_across_two_reads_is_masked_all_the_same(gateway, server):
    # The provider's bytes come apart in the middle of the key: events are masked whole, once
    # their blank line has come, so the two halves never reach the client unmasked.
    first = b'data: {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}\n\n'
    event = b'data: {"choices": [{"index": 0, "delta": {"content": "key ' + KEY_A.encode() + b' end"}}]}\n\n'
    cut = event.index(KEY_A.encode()) + len(KEY_A) // 2
    parts = [first, event[:cut], event[cut:], b"data: [DONE]\n\n"]
    server.script("alpha", Reply(200, None, events=parts, event_delay_s=0.05))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    assert KEY_A not in response.text and KEY_A[: len(KEY_A) // 2] not in response.text
    assert content(response.text) == "key *** end"


def test_a_stream_upstream_gets_the_request_as_sent(gateway, server):
    server.script("alpha", Reply.stream("ok"))
    request = {**CHAT, "stream_options": {"include_usage": True}, "tools": [{"type": "function"}]}
    with gateway() as gw:
        gw.client.post("/v1/chat/completions", json=request)
    assert server.calls("alpha")[0].body == {**request, "model": "a1"}
