"""GitHub's REST API for pull requests: find, create and update a PR, add labels.

The ``httpx.Client`` is injected, so tests can pass one built on ``httpx.MockTransport`` or point
``api_url`` at a local server; a GitHub Enterprise ``api_url`` such as
``https://ghe.example/api/v3`` works the same way. Each exchange has a total deadline
(``FREEGIN_GITHUB_TIMEOUT_S``) and a size cap (``FREEGIN_MAX_RESPONSE_BYTES``), through
:mod:`freegin_gitops.adapters.bounded_http`. Every failure becomes a :class:`GitHubError` whose one
sentence names the repository and what failed; the token only ever goes into the
``Authorization`` header and is scrubbed from any text quoted from an answer, before it is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from freegin_gitops import __version__
from freegin_gitops.adapters.bounded_http import Answer, exchange
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core.redact import excerpt, scrub, scrub_url
from freegin_gitops.errors import GitHubError, TransportFailed

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_QUOTED = 300


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    html_url: str
    state: str
    head: str  # branch name
    base: str  # branch name


ACTIONS_SETTING = (
    'the repository does not let GitHub Actions open pull requests: tick "Allow GitHub Actions to '
    'create and approve pull requests" in Settings > Actions > General > Workflow permissions '
    "(for an organization, in its settings first), or give refresh a personal access token or "
    "GitHub App token as the secret FREEGIN_PR_TOKEN"
)


def forbidden_hint(message: str) -> str:
    """What a 403 from GitHub's pull request API means, from the message GitHub sent: which
    setting or permission is missing."""
    text = message.lower()
    if "not permitted to create or approve pull requests" in text:
        return ACTIONS_SETTING
    if "by integration" in text:
        return (
            "the workflow's token lacks a permission: the job needs permissions: pull-requests: "
            "write and contents: write"
        )
    if "personal access token" in text:
        return (
            "the personal access token lacks a permission: a fine-grained token needs Pull requests "
            "and Contents, read and write, on this repository (a classic one the repo scope)"
        )
    return (
        "the token may not write pull requests: it needs pull-requests: write (and, under GitHub "
        "Actions with the workflow's own token, the repository setting \"Allow GitHub Actions to "
        'create and approve pull requests")'
    )


class GitHubPulls:
    """The pull requests of one repository (``owner/name``)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        repository: str,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise GitHubError(f"GitHub repository {repository!r} is not of the form owner/name.")
        self._client = client
        self.repository = repository
        self.owner = owner
        self._token = token
        path = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self._repo_url = api_url.rstrip("/") + path
        self._headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"freegin-ai/{__version__}",
        }
        limits = current_limits()
        self.timeout_s = limits.github_timeout_s if timeout_s is None else timeout_s
        self.max_response_bytes = (
            limits.max_response_bytes if max_response_bytes is None else max_response_bytes
        )

    # -- the API -----------------------------------------------------------------------------
    def find_open(self, head_branch: str, base: str | None = None) -> PullRequest | None:
        """The open PR from ``head_branch`` of this repository (into ``base`` if given)."""
        found = self._open_from(head_branch, base)
        return found[0] if found else None

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        """Open a PR from ``head`` into ``base``."""
        what = f"create a pull request from {head} into {base}"
        data = {"title": title, "head": head, "base": base, "body": body}
        return self._pull(self._send("POST", "/pulls", what, json=data), what)

    def update(self, number: int, title: str, body: str, *, base: str | None = None) -> PullRequest:
        """Replace the title and body of PR ``number`` (and retarget it to ``base`` if given)."""
        what = f"update pull request #{number}"
        data = {"title": title, "body": body} | ({"base": base} if base is not None else {})
        return self._pull(self._send("PATCH", f"/pulls/{number}", what, json=data), what)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add ``labels`` to PR ``number`` (GitHub creates labels the repository lacks)."""
        if not labels:
            return
        what = f"add labels to pull request #{number}"
        data = {"labels": list(labels)}
        answer = self._json(self._send("POST", f"/issues/{number}/labels", what, json=data), what)
        if not isinstance(answer, list):
            raise self._error(what, "the answer is not the expected list of labels")

    def open_or_update(
        self, head: str, base: str, title: str, body: str, labels: Sequence[str] = ()
    ) -> tuple[PullRequest, Literal["created", "updated"]]:
        """Update the open PR from ``head`` (retargeting it to ``base``), else create one; then
        add ``labels``. Running it again never opens a second PR for the same branch."""
        existing = self._preferred(head, base)
        if existing is None:
            try:
                pull = self.create(head, base, title, body)
            except GitHubError as exc:
                # Someone may have opened it since our look-up (GitHub then answers 422).
                try:
                    existing = self._preferred(head, base)
                except GitHubError:
                    raise exc from None
                if existing is None:
                    raise
            else:
                self.add_labels(pull.number, labels)
                return pull, "created"
        retarget = base if existing.base != base else None
        pull = self.update(existing.number, title, body, base=retarget)
        self.add_labels(pull.number, labels)
        return pull, "updated"

    # -- helpers -----------------------------------------------------------------------------
    def _preferred(self, head: str, base: str) -> PullRequest | None:
        found = self._open_from(head, None)
        return next((p for p in found if p.base == base), found[0] if found else None)

    def _open_from(self, head: str, base: str | None) -> list[PullRequest]:
        what = f"list the open pull requests from {head}"
        params = {"state": "open", "head": f"{self.owner}:{head}", "per_page": "100"}
        if base is not None:
            params["base"] = base
        answer = self._json(self._send("GET", "/pulls", what, params=params), what)
        if not isinstance(answer, list):
            raise self._error(what, "the answer is not the expected list of pull requests")
        pulls = [self._parse(item, what) for item in answer]
        # GitHub ignores a ``head`` filter it cannot parse; never trust it blindly.
        label = f"{self.owner}:{head}".casefold()
        return [
            p
            for (p, item) in zip(pulls, answer, strict=True)
            if p.head == head
            and p.state == "open"
            and (base is None or p.base == base)
            and str(item["head"].get("label") or label).casefold() == label
        ]

    def _error(self, what: str, detail: str) -> GitHubError:
        message = f"GitHub repository {self.repository}: could not {what} ({detail})."
        return GitHubError(scrub(message, [self._token]))

    def _send(self, method: str, path: str, what: str, **kwargs: Any) -> Answer:
        url = f"{self._repo_url}{path}"
        try:
            response = exchange(
                self._client,
                method,
                url,
                deadline_s=self.timeout_s,
                max_bytes=self.max_response_bytes,
                headers=self._headers,
                **kwargs,
            )
        except TransportFailed as exc:
            if exc.detail is not None:
                detail = f"cannot connect to {scrub_url(self._repo_url)}, {exc.detail}"
            else:
                detail = str(exc)
            raise self._error(what, detail) from None
        status = response.status_code
        if status < 300:
            return response
        quoted = self._quoted(response)
        if status in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
            detail = f"rate limited, HTTP {status}"
        elif status == 401:
            detail = "HTTP 401, the token was refused; check GITHUB_TOKEN"
        elif status == 403:
            detail = f"HTTP 403, {forbidden_hint(quoted)}"
        elif status == 404:
            detail = "HTTP 404, the repository does not exist or the token cannot see it"
        elif status >= 500:
            detail = f"GitHub server error HTTP {status}"
        else:
            detail = f"HTTP {status}"
        raise self._error(what, f"{detail}: {quoted}" if quoted else detail)

    def _quoted(self, response: Answer) -> str:
        """GitHub's ``message`` and the messages of its ``errors``, short and on one line."""
        try:
            data = response.json()
        except ValueError:
            text = response.text
        else:
            if isinstance(data, dict) and isinstance(data.get("message"), str):
                parts = [data["message"]]
                for err in data.get("errors") or []:
                    if isinstance(err, dict):
                        parts.append(str(err.get("message") or err.get("code") or ""))
                    elif isinstance(err, str):
                        parts.append(err)
                text = "; ".join(p for p in parts if p)
            else:
                text = ""
        return excerpt(text, [self._token], MAX_QUOTED)

    def _json(self, response: Answer, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._error(
                what, f"the answer is not JSON, HTTP {response.status_code}, {len(response.content)} bytes"
            ) from None

    def _pull(self, response: Answer, what: str) -> PullRequest:
        return self._parse(self._json(response, what), what)

    def _parse(self, item: Any, what: str) -> PullRequest:
        try:
            number, url, state = item["number"], item["html_url"], item["state"]
            head, base = item["head"]["ref"], item["base"]["ref"]
        except (KeyError, TypeError):
            raise self._error(what, "the answer is not the expected pull request JSON") from None
        if not (
            isinstance(number, int)
            and not isinstance(number, bool)
            and all(isinstance(v, str) for v in (url, state, head, base))
        ):
            raise self._error(what, "the answer is not the expected pull request JSON")
        return PullRequest(number=number, html_url=url, state=state, head=head, base=base)
