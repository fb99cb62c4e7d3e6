"""The gateway app in process, against a real loopback provider server and a real SQLite file."""

from __future__ import annotations

import json

from freegin_gitops.core.usage import WindowQuery
from tests.integration.serve.conftest import GATEWAY_KEY, KEY_A, KEY_B
from tests.support.catalogs import LoopbackProvider, provider_yaml
from tests.support.fake_openai import Reply

CHAT = {"model": "chat", "messages": [{"role": "user", "content": "Say hello"}]}


def test_a_plain_request_falls_back_and_every_attempt_is_recorded(gateway, server):
    server.script("alpha", Reply(500, {"error": {"message": f"boom, key {KEY_A}"}}))
    server.script(
        "beta", Reply.answer("hello from beta", prompt_tokens=5, completion_tokens=2, total_tokens=7)
    )
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json={**CHAT, "temperature": 0.3, "max_tokens": 9})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "hello from beta"
    assert response.headers["x-freegin-provider"] == "beta"
    assert response.headers["x-freegin-attempts"] == "3"
    sent = server.calls("beta")[0]
    assert sent.body == {**CHAT, "model": "b1", "temperature": 0.3, "max_tokens": 9}
    assert sent.headers["Authorization"] == f"Bearer {KEY_B}"
    rows = [
        (r["provider"], r["model"], r["workload"], r["success"], r["error_kind"], r["status_code"])
        for r in gw.rows()
    ]
    assert rows == [
        ("alpha", "a1", "chat", 0, "server_error", 500),
        ("alpha", "a2", "chat", 0, "server_error", 500),
        ("beta", "b1", "chat", 1, None, 200),
    ]
    assert gw.rows()[2]["total_tokens"] == 7
    line = next(line for line in gw.log_lines if "/v1/chat/completions" in line)
    assert "POST /v1/chat/completions status=200" in line
    assert "workload=chat answered_by=beta/b1 attempts=3" in line
    assert "Say hello" not in "\n".join(gw.log_lines)


def test_an_answer_no_budget_counts_is_recorded_once_sent_and_its_call_ends(gateway, server):
    # No budget counts alpha, so its answering row is queued after the answer went out: by the
    # time the app has answered it is queued, and the call no longer counts as in flight.
    server.script("alpha", Reply.answer("hi", prompt_tokens=3, completion_tokens=1, total_tokens=4))
    with gateway() as gw:
        assert gw.client.post("/v1/chat/completions", json=CHAT).status_code == 200
        shared = gw.service.shared
        assert shared is not None
        assert [(u.requests, u.tokens) for u in shared.remembered([WindowQuery("alpha", "a1", 0.0)])] == [
            (1, 4)
        ]
        rows = gw.rows()
        assert [(r["provider"], r["model"], r["success"], r["total_tokens"]) for r in rows] == [
            ("alpha", "a1", 1, 4)
        ]


def test_a_model_id_beyond_ascii_answers_with_its_name_percent_encoded_and_is_recorded(gateway, server, repo):
    alpha = LoopbackProvider("alpha", server.url("alpha"), {"模型-1": ["chat"]}, "ALPHA_API_KEY")
    (repo / "catalog" / "providers" / "alpha.yaml").write_text(provider_yaml(alpha), encoding="utf-8")
    server.script("alpha", Reply.answer("hi"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        rows = gw.rows()
    assert response.status_code == 200
    assert response.headers["x-freegin-model"] == "%E6%A8%A1%E5%9E%8B-1"
    assert [(r["provider"], r["model"], r["success"]) for r in rows] == [("alpha", "模型-1", 1)]


def test_a_refused_request_is_logged_with_its_status_attempts_and_error(gateway, server):
    server.script("alpha", Reply(503, {"error": {"message": "down"}}))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json={**CHAT, "model": "alpha/a2"})
    assert response.status_code == 502
    line = next(line for line in gw.log_lines if "/v1/chat/completions" in line)
    assert "POST /v1/chat/completions status=502" in line
    assert "workload=chat answered_by=- attempts=1" in line
    assert "stream" not in line.split(" error=")[0]
    assert ' error="' in line and "alpha/a2" in line.split(" error=")[1]


def test_a_provider_model_names_one_candidate_and_does_not_fall_back(gateway, server):
    server.script("alpha", Reply(503, {"error": {"message": "down"}}))
    server.script("beta", Reply.answer("never"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json={**CHAT, "model": "alpha/a2"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "no_candidate_answered"
    assert server.calls("beta") == []
    assert [c.body["model"] for c in server.calls("alpha")] == ["a2"]


def test_no_candidate_answering_says_what_was_tried_without_the_keys(gateway, server):
    server.script("alpha", Reply(500, {"error": {"message": f"bad key {KEY_A}"}}))
    server.script("beta", Reply(502, f"upstream said {KEY_B}"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    rows = gw.rows()  # once the gateway stopped: its writer stores rows off the request path
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["type"] == "upstream_error"
    assert "alpha/a1" in error["message"] and "beta/b1" in error["message"]
    text = response.text + "\n".join(gw.log_lines)
    for key in (KEY_A, KEY_B):
        assert key not in text and key[:8] not in text and key[-8:] not in text
    assert len(rows) == 3


def test_rate_limits_everywhere_give_429_with_retry_after(gateway, server):
    server.script("alpha", Reply(429, {"error": {"message": "slow"}}, {"Retry-After": "30"}))
    server.script("beta", Reply(429, {"error": {"message": "slow"}}, {"Retry-After": "60"}))
    with gateway() as gw:
        first = gw.client.post("/v1/chat/completions", json=CHAT)
        second = gw.client.post("/v1/chat/completions", json=CHAT)  # both cool down: nothing called
    assert first.status_code == 429
    assert 25 <= int(first.headers["Retry-After"]) <= 30
    assert second.status_code == 429
    # alpha declares no limits, so a 429 cools down the model it was for: a1, then a2, each once
    assert [c.body["model"] for c in server.calls("alpha")] == ["a1", "a2"]
    assert len(server.calls("beta")) == 1


def test_a_refused_request_everywhere_is_400(gateway, server):
    for name in ("alpha", "beta"):
        server.script(name, Reply(400, {"error": {"message": "tools[0] is invalid"}}))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 400
    assert "tools[0] is invalid" in response.json()["error"]["message"]


def test_no_usable_candidate_is_503(gateway, server):
    with gateway(environ={}) as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 503
    assert "ALPHA_API_KEY is not set" in response.json()["error"]["message"]
    assert server.requests == []


def test_an_answer_that_is_not_a_completion_falls_back(gateway, server):
    server.script("alpha", Reply(200, "<html>captive portal</html>"), Reply(200, {"choices": []}))
    server.script("beta", Reply.answer("ok"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
        kinds = [r["error_kind"] for r in gw.rows()]
    assert response.status_code == 200
    assert kinds == ["bad_response", "bad_response", None]


def test_an_answer_echoing_the_key_reaches_the_client_masked(gateway, server):
    server.script("alpha", Reply.answer(f"your key is {KEY_A}"))
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert KEY_A not in response.text and "***" in response.text


def test_unknown_model_is_404_listing_the_workloads(gateway, server):
    with gateway() as gw:
        response = gw.client.post("/v1/chat/completions", json={**CHAT, "model": "gpt-4o"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found"
    assert "chat, code, summarisation" in error["message"]
    assert server.requests == []


def test_bad_requests_are_400_in_openai_shape(gateway):
    with gateway() as gw:
        bad_json = gw.client.post(
            "/v1/chat/completions", content=b"{oops", headers={"content-type": "application/json"}
        )
        no_messages = gw.client.post("/v1/chat/completions", json={"model": "chat"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert no_messages.status_code == 400 and no_messages.json()["error"]["param"] == "messages"


def test_bodies_are_size_capped(gateway, server):
    with gateway(max_body_bytes=2048) as gw:
        big = {**CHAT, "messages": [{"role": "user", "content": "x" * 5000}]}
        declared = gw.client.post("/v1/chat/completions", json=big)

        def chunks():
            yield b'{"model": "chat", "messages": [{"role": "user", "content": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}]}'

        undeclared = gw.client.post("/v1/chat/completions", content=chunks())
    assert declared.status_code == 413 and undeclared.status_code == 413
    assert declared.json()["error"]["code"] == "request_too_large"
    assert server.requests == []


def test_with_a_key_every_v1_route_needs_it(gateway, server):
    server.script("alpha", Reply.answer("ok"))
    with gateway(api_key=GATEWAY_KEY) as gw:
        missing = gw.client.get("/v1/models")
        wrong = gw.client.post("/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer nope"})
        prefix = gw.client.get("/v1/freegin/status", headers={"Authorization": f"Bearer {GATEWAY_KEY[:-1]}"})
        basic = gw.client.get("/v1/models", headers={"Authorization": f"Basic {GATEWAY_KEY}"})
        good = gw.client.post(
            "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {GATEWAY_KEY}"}
        )
        health = gw.client.get("/healthz")
    for refused in (missing, wrong, prefix, basic):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_api_key"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert good.status_code == 200
    assert health.status_code == 200
    assert len(server.calls("alpha")) == 1


def test_models_lists_workloads_and_catalog_models(gateway):
    with gateway() as gw:
        listed = gw.client.get("/v1/models").json()
        short = gw.client.get("/models").json()
    ids = [m["id"] for m in listed["data"]]
    assert ids == ["chat", "code", "summarisation", "alpha/a1", "alpha/a2", "beta/b1"]
    assert short == listed


def test_status_shows_each_candidate(gateway, server):
    server.script("alpha", Reply(429, {"error": {"message": "slow"}}, {"Retry-After": "120"}))
    server.script("beta", Reply.answer("ok"))
    with gateway(environ={"ALPHA_API_KEY": KEY_A}) as gw:
        gw.client.post("/v1/chat/completions", json=CHAT)
        status = gw.client.get("/v1/freegin/status").json()
    chat = {(c["provider"], c["model"]): c for c in status["workloads"]["chat"]}
    assert chat[("alpha", "a1")]["reachable"] is True
    assert chat[("alpha", "a1")]["cooling_down_until"] is not None
    assert chat[("alpha", "a1")]["usable"] is False
    assert chat[("beta", "b1")]["reachable"] is False
    assert chat[("beta", "b1")]["unreachable_reason"] == "no API key: BETA_API_KEY is not set"
    assert status["catalog"]["last_reload_error"] is None
    assert KEY_A not in json.dumps(status)


def test_status_shows_the_budget_left_and_a_spent_one_stops_calls(gateway, server, repo):
    alpha = LoopbackProvider(
        "alpha",
        server.url("alpha"),
        {"a1": ["chat"], "a2": ["chat", "code"]},
        "ALPHA_API_KEY",
        model_limits={"a1": "{requests_per_day: 2}"},
    )
    (repo / "catalog" / "providers" / "alpha.yaml").write_text(provider_yaml(alpha))
    server.script("alpha", Reply.answer("one"), Reply.answer("two"), Reply.answer("from a2"))

    def a1_budget(gw) -> dict:
        status = gw.client.get("/v1/freegin/status").json()
        return next(c for c in status["workloads"]["chat"] if c["model"] == "a1")

    with gateway() as gw:
        assert a1_budget(gw)["budget"]["limits"][0]["remaining"] == 2
        gw.client.post("/v1/chat/completions", json=CHAT)
        left = a1_budget(gw)
        gw.client.post("/v1/chat/completions", json=CHAT)
        spent = a1_budget(gw)
        third = gw.client.post("/v1/chat/completions", json=CHAT)
    assert (left["budget"]["limits"][0]["used"], left["budget"]["limits"][0]["remaining"]) == (1, 1)
    assert left["usable"] is True and left["budget"]["spent"] is False
    assert spent["budget"]["spent"] is True and spent["usable"] is False
    assert spent["budget"]["limits"][0]["remaining"] == 0
    assert spent["skip_reason"].startswith("budget spent: 2/2 requests today")
    assert third.headers["x-freegin-model"] == "a2"
    assert [c.body["model"] for c in server.calls("alpha")] == ["a1", "a1", "a2"]


def test_unknown_paths_and_methods_answer_in_openai_shape(gateway):
    with gateway() as gw:
        missing = gw.client.get("/v1/embeddings")
        method = gw.client.get("/v1/chat/completions")
    assert missing.status_code == 404 and "error" in missing.json()
    assert method.status_code == 405 and "error" in method.json()


def test_json_logs_and_prompts_only_when_asked(gateway, server):
    server.script("alpha", Reply.answer("ok"))
    with gateway(log_format="json", log_prompts=True) as gw:
        gw.client.post("/v1/chat/completions", json=CHAT)
        lines = [json.loads(line) for line in gw.log_lines]
    request = next(line for line in lines if line.get("path") == "/v1/chat/completions")
    assert request["status"] == 200
    assert request["answered_by"] == "alpha/a1"
    assert request["attempts"] == 1
    assert request["workload"] == "chat"
    assert request["messages"] == CHAT["messages"]
    assert isinstance(request["ms"], float)
