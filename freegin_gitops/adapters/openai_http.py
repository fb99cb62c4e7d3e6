"""OpenAI-compatible HTTP APIs: ``POST {base_url}/chat/completions`` and ``GET {base_url}/models``.

Every provider of the starter catalog speaks this dialect (Groq, Cerebras, Mistral, OpenRouter,
GitHub Models, NVIDIA, Hugging Face's router, Gemini's and Cohere's compatibility endpoints,
Cloudflare Workers AI and a local Ollama). The client is injected, so tests can pass one built on
``httpx.MockTransport`` or point it at a local server.

Every exchange has a total deadline (``timeout_s``: connect, headers and body together) and a size
cap (``FREEGIN_MAX_RESPONSE_BYTES``), through :mod:`freegin_gitops.adapters.bounded_http`. Every
failure becomes a :class:`ProviderError` whose message names the provider and model and never
contains the API key: the key goes only into the ``Authorization`` header, and text quoted from a
provider's answer is scrubbed before it is cut (:mod:`freegin_gitops.core.redact`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

from freegin_gitops.adapters.bounded_http import Answer, exchange
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core.model_list import ListedModel, listed_model
from freegin_gitops.core.rate_limit_reply import RateLimitReply, rate_limit_values, read_429
from freegin_gitops.core.redact import excerpt, scrub, scrub_url
from freegin_gitops.core.usage import RateLimitValue
from freegin_gitops.errors import ProviderError, TransportFailed

__all__ = ["ChatAnswer", "OpenAICompatible", "scrub"]

MAX_QUOTED = 200


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    text: str
    status_code: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    rate_limits: tuple[RateLimitValue, ...] = ()  # the x-ratelimit-* values the answer carried


def _wait_phrase(reply: RateLimitReply, retry_after: str | None) -> str:
    if reply.wait_s is not None:
        return f", retry after {reply.wait_s:.0f}s ({reply.basis})"
    if retry_after and retry_after.strip():
        return f"; Retry-After {excerpt(retry_after, (), 40)!r} ignored: not a number of seconds or a date"
    return ""


def quoted_error(content: bytes, secrets: Sequence[str | None] = ()) -> str:
    """A short excerpt of a provider's error answer: its ``error.message`` if it has one, with
    ``secrets`` scrubbed out before it is cut (cutting first can leave a piece of a key)."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        text = content.decode("utf-8", "replace")
    else:
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            text = str(err.get("message") or err)
        elif err:
            text = str(err)
        else:
            text = json.dumps(body)
    return excerpt(text, secrets, MAX_QUOTED)


class StatusFailure(NamedTuple):
    """How an answer failed: its error kind and message, and for a 429 what it said about
    waiting (seconds, the header or text that said so, whether the day's quota is spent)."""

    kind: str
    message: str
    wait_s: float | None = None
    wait_basis: str | None = None
    daily_quota: bool = False


def status_error(
    status: int,
    content: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str | None] = (),
    now: float | None = None,
) -> StatusFailure | None:
    """How an answer with HTTP ``status`` failed, or None if the status is a success. One table
    for the blocking and the asynchronous client; text quoted from the answer has ``secrets``
    scrubbed out before it is cut. A 429 is read by :func:`~freegin_gitops.core.rate_limit_reply.read_429`."""
    if status == 429:
        reply = read_429(headers, content, time.time() if now is None else now)
        daily = ": the day's quota is spent" if reply.daily else ""
        message = f"rate limited (HTTP 429{daily}{_wait_phrase(reply, headers.get('Retry-After'))})"
        return StatusFailure("rate_limited", message, reply.wait_s, reply.basis, reply.daily)
    if status < 400:
        return None
    quoted = quoted_error(content, secrets)
    if status >= 500:
        return StatusFailure("server_error", f"server error HTTP {status}: {quoted}")
    if status in (401, 403):
        return StatusFailure("auth", f"the API key was refused (HTTP {status}): {quoted}")
    if status == 404:
        return StatusFailure("not_found", f"not found (HTTP 404): {quoted}")
    return StatusFailure("client_error", f"request refused (HTTP {status}): {quoted}")


class OpenAICompatible:
    """One provider's OpenAI-compatible API."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        provider: str,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        max_response_bytes: int | None = None,
    ) -> None:
        self._client = client
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._headers = {"Accept": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_s = timeout_s  # the whole exchange: connect, headers and body
        self.max_response_bytes = (
            current_limits().max_response_bytes if max_response_bytes is None else max_response_bytes
        )

    def _secrets(self) -> list[str]:
        return [self._api_key] if self._api_key else []

    def _error(self, message: str, model: str | None, kind: str, **extra: Any) -> ProviderError:
        where = f"{self.provider}/{model}" if model else self.provider
        return ProviderError(
            scrub(f"{where}: {message}", self._secrets()),
            provider=self.provider,
            model=model,
            kind=kind,
            **extra,
        )

    def _send(self, method: str, path: str, model: str | None, body: Any = None) -> Answer:
        url = f"{self.base_url}{path}"
        try:
            response = exchange(
                self._client,
                method,
                url,
                deadline_s=self.timeout_s,
                max_bytes=self.max_response_bytes,
                headers=self._headers,
                json=body,
            )
        except TransportFailed as exc:
            if exc.detail is not None:
                message = f"cannot connect to {scrub_url(self.base_url)} ({exc.detail})"
            else:
                message = str(exc)
            raise self._error(message, model, exc.kind) from None
        failure = status_error(response.status_code, response.content, response.headers, [self._api_key])
        if failure is not None:
            raise self._error(
                failure.message,
                model,
                failure.kind,
                status_code=response.status_code,
                retry_after_s=failure.wait_s,
                wait_basis=failure.wait_basis,
                daily_quota=failure.daily_quota,
                rate_limits=rate_limit_values(response.headers.items()),
            )
        return response

    def _json(self, response: Answer, model: str | None) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._error(
                f"the answer is not JSON (HTTP {response.status_code}, {len(response.content)} bytes)",
                model,
                "bad_response",
                status_code=response.status_code,
            ) from None

    def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, str]],
    ) -> ChatAnswer:
        """One chat completion; the first choice's text."""
        body: dict[str, Any] = {"model": model, "messages": list(messages)}
        response = self._send("POST", "/chat/completions", model, body)
        data = self._json(response, model)
        try:
            message = data["choices"][0]["message"]
            text = message.get("content")
            if isinstance(text, list):  # some providers return content parts
                text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
        except (KeyError, IndexError, TypeError, AttributeError):
            raise self._error(
                "the answer has no choices[0].message",
                model,
                "bad_response",
                status_code=response.status_code,
            ) from None
        if not isinstance(text, str) or not text.strip():
            raise self._error("the answer is empty", model, "bad_response", status_code=response.status_code)
        usage = data.get("usage") if isinstance(data, dict) else None
        usage = usage if isinstance(usage, dict) else {}

        def count(key: str) -> int | None:
            value = usage.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return ChatAnswer(
            text=scrub(text, self._secrets()),  # an answer that echoes the key shows it masked
            status_code=response.status_code,
            prompt_tokens=count("prompt_tokens"),
            completion_tokens=count("completion_tokens"),
            total_tokens=count("total_tokens"),
            rate_limits=rate_limit_values(response.headers.items()),
        )

    def list_models(self) -> list[str]:
        """The model ids the provider serves (``GET /models``)."""
        return [model.id for model in self.list_model_entries()]

    def list_model_entries(self) -> list[ListedModel]:
        """The models the provider serves (``GET /models``), with the creation date and context
        window where the list gives them."""
        response = self._send("GET", "/models", None)
        data = self._json(response, None)
        items = data.get("data") if isinstance(data, dict) else data
        if isinstance(data, dict) and items is None:
            items = data.get("models")  # Ollama's and a few others' native shape
        if not isinstance(items, list):
            raise self._error(
                "the model list has no 'data' array", None, "bad_response", status_code=response.status_code
            )
        # An id that holds the key (or a piece of it: a provider echoing what it was sent) is
        # left out: ids go into refresh prompts to other providers, pull requests and commits.
        secrets = self._secrets()
        return [
            model
            for model in map(listed_model, items)
            if model is not None and scrub(model.id, secrets) == model.id
        ]
