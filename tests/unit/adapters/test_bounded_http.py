"""Bounded HTTP exchanges against real misbehaving loopback servers: the total deadline (sync
and async, headers and body), redirects, the size cap, and the provider and GitHub adapters that
use them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from freegin_gitops.adapters.bounded_http import (
    Deadline,
    aread_capped,
    exchange,
    exchange_async,
    new_client,
)
from freegin_gitops.adapters.github.pulls import GitHubPulls
from freegin_gitops.adapters.openai_http import OpenAICompatible
from freegin_gitops.errors import GitHubError, ProviderError, TransportFailed
from tests.support.hostile_http import (
    HostileServer,
    chat_body,
    chunked_answer,
    reply,
    response_bytes,
    silent,
    trickle,
)

TRICKLE_S = 0.05


def _answer_bytes(text: str = "hello") -> tuple[bytes, bytes]:
    return response_bytes(200, chat_body(text))


def test_the_deadline_bounds_the_model_list_and_github(tmp_path):
    head, _ = response_bytes(200, b'{"data": []}')
    with HostileServer(trickle(head + b'{"data": [{"id": "m1"}]}', TRICKLE_S)) as server:
        api = OpenAICompatible(new_client(), provider="hostile", base_url=f"{server.url}/v1", timeout_s=0.4)
        with pytest.raises(ProviderError, match=r"^hostile: timed out") as caught:
            api.list_models()
        assert caught.value.kind == "timeout"
        pulls = GitHubPulls(
            new_client(), repository="o/r", token="ghp_" + "x" * 36, api_url=server.url, timeout_s=0.4
        )
        with pytest.raises(GitHubError, match=r"repository o/r: could not list .* \(timed out: the exchange"):
            pulls.find_open("freegin/refresh/all")


def test_the_github_deadline_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("FREEGIN_GITHUB_TIMEOUT_S", "0.3")
    with HostileServer(silent()) as server:
        pulls = GitHubPulls(new_client(), repository="o/r", token="t" * 40, api_url=server.url)
        assert pulls.timeout_s == 0.3
        with pytest.raises(GitHubError, match=r"took longer than 0.3 s"):
            pulls.find_open("x")


def test_redirects_are_followed_under_the_same_deadline_without_reading_their_bodies():
    hops: list[str] = []

    def behave(conn, request, server):
        hops.append(request.path)
        if request.path == "/start":
            # A redirect with a (declared) huge body: it is never read.
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 999999999\r\n\r\n")
            conn.close()
            return
        head, body = response_bytes(200, b'{"ok": true}')
        conn.sendall(head + body)

    with HostileServer(behave) as server, new_client() as client:
        answer = exchange(client, "GET", f"{server.url}/start", deadline_s=2, max_bytes=1024)
    assert answer.json() == {"ok": True}
    assert hops == ["/start", "/end"]


def test_a_redirect_loop_ends():
    def behave(conn, request, server):
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")

    with (
        HostileServer(behave) as server,
        new_client() as client,
        pytest.raises(TransportFailed, match="more than 5 redirects"),
    ):
        exchange(client, "GET", server.url, deadline_s=2, max_bytes=1024)


def test_the_async_exchange_has_the_same_deadline_and_cap():
    head, body = _answer_bytes()

    async def main() -> tuple[str, str]:
        async with httpx.AsyncClient() as client:
            with HostileServer(trickle(head + body, TRICKLE_S)) as server:
                try:
                    await exchange_async(client, "GET", server.url, deadline_s=0.3, max_bytes=1024)
                except TransportFailed as exc:
                    slow = str(exc)
            with HostileServer(chunked_answer(10_000_000)) as server:
                try:
                    await exchange_async(client, "GET", server.url, deadline_s=5, max_bytes=100_000)
                except TransportFailed as exc:
                    big = str(exc)
        return slow, big

    slow, big = asyncio.run(main())
    assert slow == "timed out: the exchange took longer than 0.3 s"
    assert big == "answer too large: more than 100000 bytes"


def test_the_async_body_reader_stops_a_trickle_at_the_deadline():
    head, body = _answer_bytes("x" * 200)

    async def main() -> str:
        async with httpx.AsyncClient() as client:
            with HostileServer(trickle(body, TRICKLE_S, after=head)) as server:
                async with client.stream("GET", server.url) as response:
                    try:
                        await aread_capped(response, 1 << 20, Deadline(0.3))
                    except TransportFailed as exc:
                        return str(exc)
        return "read it all"

    assert asyncio.run(main()) == "timed out: the answer took longer than 0.3 s"


def test_a_declared_length_over_the_cap_is_refused_before_reading(tmp_path):
    with HostileServer(reply(200, b"{}", {"X-Pad": "1"})) as server, new_client() as client:
        fine = exchange(client, "GET", server.url, deadline_s=2, max_bytes=2)
        assert fine.content == b"{}"
        with pytest.raises(TransportFailed, match="answer too large: more than 1 bytes"):
            exchange(client, "GET", server.url, deadline_s=2, max_bytes=1)
