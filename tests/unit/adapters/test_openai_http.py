"""The OpenAI-compatible adapter over httpx.MockTransport: requests sent, failures mapped."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from freegin_gitops.adapters.openai_http import OpenAICompatible, scrub
from freegin_gitops.errors import ProviderError

KEY = "sk-unit-test-key-0123456789"


def api(handler, **kwargs) -> OpenAICompatible:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return OpenAICompatible(client, provider="p", base_url="https://api.example/v1/", api_key=KEY, **kwargs)


def fails(call, *args) -> ProviderError:
    """The ProviderError ``call(*args)`` raises."""
    with pytest.raises(ProviderError) as caught:
        call(*args)
    return caught.value


def answer(text: str = "hi") -> dict:
    return {
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }


def test_chat_sends_model_messages_and_bearer_key():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["auth"] = request.headers["Authorization"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json=answer("hello"))

    result = api(handler, headers={"HTTP-Referer": "https://x"}).chat(
        "m1", [{"role": "user", "content": "q"}]
    )
    assert result.text == "hello"
    assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (1, 2, 3)
    assert seen == {
        "url": "https://api.example/v1/chat/completions",
        "auth": f"Bearer {KEY}",
        "body": {"model": "m1", "messages": [{"role": "user", "content": "q"}]},
    }


def test_no_key_sends_no_authorization_header():
    def handler(request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers
        return httpx.Response(200, json=answer())

    client = httpx.Client(transport=httpx.MockTransport(handler))
    OpenAICompatible(client, provider="local", base_url="http://localhost/v1").chat("m", [])


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, "rate_limited"),
        (500, "server_error"),
        (503, "server_error"),
        (401, "auth"),
        (403, "auth"),
        (404, "not_found"),
        (400, "client_error"),
        (422, "client_error"),
    ],
)
def test_http_errors_map_to_kinds(status, kind):
    err = fails(
        api(lambda r: httpx.Response(status, json={"error": {"message": "nope"}})).chat,
        "m",
        [],
    )
    assert (err.kind, err.status_code, err.provider, err.model) == (kind, status, "p", "m")
    assert str(err).startswith("p/m: ")


def test_429_carries_retry_after():
    err = fails(api(lambda r: httpx.Response(429, headers={"Retry-After": "17"})).chat, "m", [])
    assert err.retry_after_s == 17
    assert "retry after 17s" in str(err)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), "connect"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.RemoteProtocolError("eof"), "connect"),
    ],
)
def test_transport_failures_map_to_kinds(exc, kind):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    assert fails(api(handler).chat, "m", []).kind == kind


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json={"choices": [{"message": {"content": "  "}}]}),
        httpx.Response(200, json=[1]),
    ],
)
def test_unexpected_bodies_are_bad_responses(response):
    assert fails(api(lambda r: response).chat, "m", []).kind == "bad_response"


def test_the_key_is_scrubbed_from_quoted_errors():
    body = {"error": {"message": f"Incorrect API key provided: {KEY[:10]}...{KEY[-8:]} / {KEY}"}}
    err = fails(api(lambda r: httpx.Response(401, json=body)).chat, "m", [])
    assert KEY not in str(err) and KEY[-8:] not in str(err) and KEY[:8] not in str(err)
    assert "Incorrect API key provided" in str(err)


def test_long_error_bodies_are_cut():
    err = fails(api(lambda r: httpx.Response(500, text="x" * 5000)).chat, "m", [])
    assert len(str(err)) < 300


@pytest.mark.parametrize(
    ("payload", "ids"),
    [
        ({"object": "list", "data": [{"id": "a"}, {"id": "b"}]}, ["a", "b"]),
        ({"models": [{"name": "llama3.2:3b", "model": "llama3.2:3b"}]}, ["llama3.2:3b"]),
        ([{"id": "x"}, "y"], ["x", "y"]),
    ],
)
def test_list_models_reads_common_shapes(payload, ids):
    assert api(lambda r: httpx.Response(200, json=payload)).list_models() == ids


def test_list_model_entries_keep_creation_dates_and_context_windows():
    payload = {
        "data": [
            {"id": "groq-style", "created": 1754438400, "context_window": 131072},
            {"id": "openrouter-style", "created": 1754438400000, "top_provider": {"context_length": 65536}},
            {"id": "bare"},
            {"id": "", "created": 1},
            {"no": "id"},
        ]
    }
    entries = api(lambda r: httpx.Response(200, json=payload)).list_model_entries()
    assert [(m.id, m.created, m.context_window) for m in entries] == [
        ("groq-style", dt.date(2025, 8, 6), 131072),
        ("openrouter-style", dt.date(2025, 8, 6), 65536),
        ("bare", None, None),
    ]


def test_list_models_without_data_is_a_bad_response():
    assert fails(api(lambda r: httpx.Response(200, json={"x": 1})).list_models).kind == "bad_response"


def test_scrub_masks_the_secret_and_its_ends():
    secret = "abcdefgh-0123456789-ijklmnop"
    assert scrub(f"key {secret} start abcdefgh end ijklmnop", [secret]) == "key *** start *** end ***"
    assert scrub("nothing here", []) == "nothing here"


def test_a_429_says_how_long_to_wait_whether_the_day_is_spent_and_what_the_headers_said():
    body = {"error": {"message": "Rate limit reached on requests per day (RPD): Limit 1000, Used 1000"}}
    headers = {
        "x-ratelimit-limit-requests": "1000",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2m59.56s",
    }
    err = fails(api(lambda r: httpx.Response(429, json=body, headers=headers)).chat, "m", [])
    assert (err.kind, err.status_code, err.daily_quota) == ("rate_limited", 429, True)
    assert (err.retry_after_s, err.wait_basis) == (
        pytest.approx(179.56),
        "x-ratelimit-reset-requests 2m59.56s",
    )
    assert str(err) == (
        "p/m: rate limited (HTTP 429: the day's quota is spent, retry after 180s "
        "(x-ratelimit-reset-requests 2m59.56s))"
    )
    assert [(v.name, v.limit, v.remaining) for v in err.rate_limits] == [("requests", 1000, 0)]


def test_an_answer_carries_its_rate_limit_headers():
    headers = {"x-ratelimit-limit-tokens": "6000", "x-ratelimit-remaining-tokens": "5990"}
    got = api(lambda r: httpx.Response(200, json=answer(), headers=headers)).chat("m", [])
    assert [(v.name, v.limit, v.remaining) for v in got.rate_limits] == [("tokens", 6000, 5990)]
