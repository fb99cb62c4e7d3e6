"""OpenAI-compatible HTTP APIs: ``POST {base_url}/chat/completions`` and ``GET {base_url}/models``.

Every provider of the starter catalog speaks this dialect (Groq, Cerebras, Mistral, OpenRouter,
GitHub Models, NVIDIA, Hugging Face's router, Gemini's and Cohere's compatibility endpoints,
Cloudflare Workers AI and a local Ollama). The client is injected, so tests can pass one built on
``httpx.MockTransport`` or point it at a local server.

Every failure becomes a :class:`ProviderError` whose message names the provider and model and never
contains the API key: the key goes only into the ``Authorization`` header, and text quoted from a
provider's answer has it scrubbed out.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from freegin_gitops.errors import ProviderError

MAX_QUOTED = 200


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    text: str
    status_code: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (and any 8+ character piece of its start or end) masked."""
    for secret in secrets:
        if not secret:
            continue
        pieces = {secret}
        if len(secret) >= 16:
            pieces |= {secret[:8], secret[-8:]}
        for piece in sorted(pieces, key=len, reverse=True):
            text = text.replace(piece, "***")
    return text


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def quoted_error(content: bytes) -> str:
    """A short excerpt of a provider's error answer: its ``error.message`` if it has one. The
    caller scrubs keys out of it (with the rest of the message)."""
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
            text = json.dumps(body)[:MAX_QUOTED]
    text = " ".join(text.split())
    return text[:MAX_QUOTED] + ("..." if len(text) > MAX_QUOTED else "")


def status_error(
    status: int, content: bytes, retry_after: str | None
) -> tuple[str, str, float | None] | None:
    """How an answer with HTTP ``status`` failed: (error kind, message, seconds to wait), or None
    if the status is a success. One table for the blocking and the asynchronous client."""
    if status == 429:
        wait = retry_after_seconds(retry_after)
        return (
            "rate_limited",
            f"rate limited (HTTP 429{f', retry after {wait:.0f}s' if wait is not None else ''})",
            wait,
        )
    if status >= 500:
        return "server_error", f"server error HTTP {status}: {quoted_error(content)}", None
    if status in (401, 403):
        return "auth", f"the API key was refused (HTTP {status}): {quoted_error(content)}", None
    if status == 404:
        return "not_found", f"not found (HTTP 404): {quoted_error(content)}", None
    if status >= 400:
        return "client_error", f"request refused (HTTP {status}): {quoted_error(content)}", None
    return None


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
    ) -> None:
        self._client = client
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._headers = {"Accept": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))

    def _error(self, message: str, model: str | None, kind: str, **extra: Any) -> ProviderError:
        secrets = [self._api_key] if self._api_key else []
        where = f"{self.provider}/{model}" if model else self.provider
        return ProviderError(
            scrub(f"{where}: {message}", secrets), provider=self.provider, model=model, kind=kind, **extra
        )

    def _send(self, method: str, path: str, model: str | None, body: Any = None) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self._client.request(
                method, url, headers=self._headers, json=body, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise self._error(f"timed out ({type(exc).__name__})", model, "timeout") from None
        except httpx.TransportError as exc:
            raise self._error(
                f"cannot connect to {self.base_url} ({type(exc).__name__})", model, "connect"
            ) from None
        failure = status_error(response.status_code, response.content, response.headers.get("Retry-After"))
        if failure is not None:
            kind, message, wait = failure
            raise self._error(message, model, kind, status_code=response.status_code, retry_after_s=wait)
        return response

    def _json(self, response: httpx.Response, model: str | None) -> Any:
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
            text=text,
            status_code=response.status_code,
            prompt_tokens=count("prompt_tokens"),
            completion_tokens=count("completion_tokens"),
            total_tokens=count("total_tokens"),
        )

    def list_models(self) -> list[str]:
        """The model ids the provider serves (``GET /models``)."""
        response = self._send("GET", "/models", None)
        data = self._json(response, None)
        items = data.get("data") if isinstance(data, dict) else data
        if isinstance(data, dict) and items is None:
            items = data.get("models")  # Ollama's and a few others' native shape
        if not isinstance(items, list):
            raise self._error(
                "the model list has no 'data' array", None, "bad_response", status_code=response.status_code
            )
        ids: list[str] = []
        for item in items:
            if isinstance(item, dict):
                ident = item.get("id") or item.get("name") or item.get("model")
                if isinstance(ident, str):
                    ids.append(ident)
            elif isinstance(item, str):
                ids.append(item)
        return ids
