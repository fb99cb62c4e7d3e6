"""A real local HTTP server speaking GitHub's REST API for pull requests, with in-memory state.

Endpoints (under an optional path prefix, as GitHub Enterprise's ``/api/v3``):
``GET/POST /repos/{owner}/{repo}/pulls`` (pulls/list, pulls/create),
``PATCH /repos/{owner}/{repo}/pulls/{n}`` (pulls/update) and
``POST /repos/{owner}/{repo}/issues/{n}/labels`` (issues/add-labels).

Like GitHub it answers 401 without the right ``Authorization`` header, 404 for another repository
or an unknown PR, and 422 when an open PR already exists for the same head and base. Every request
is recorded (method, path, query, headers, JSON body) and checked against the request schemas of
GitHub's OpenAPI description (``tests/fixtures/github_pulls_operations.json``) made strict with
``additionalProperties: false``: a request that does not fit is answered 422 (400 for an unknown
query parameter) and listed in ``schema_errors``, so a typo in a field name fails the test.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OPERATIONS_FILE = FIXTURES / "github_pulls_operations.json"
API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
Params = dict[str, str]
Query = dict[str, list[str]]


def strict(schema: Any) -> Any:
    """A copy of ``schema`` in which every object schema with properties forbids other keys."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    pattern: re.Pattern[str]
    path_params: dict[str, dict[str, Any]]
    query_params: dict[str, dict[str, Any]]
    body_validator: jsonschema.Draft7Validator | None


@functools.cache
def load_operations(path: Path = OPERATIONS_FILE) -> dict[str, Operation]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    operations = {}
    for name, op in spec["operations"].items():
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(op["path"]))
        params = op["parameters"]
        body = op["request_body"]
        operations[name] = Operation(
            name=name,
            method=op["method"],
            pattern=re.compile(regex),
            path_params={p["name"]: p["schema"] for p in params if p["in"] == "path"},
            query_params={p["name"]: p["schema"] for p in params if p["in"] == "query"},
            body_validator=jsonschema.Draft7Validator(strict(body)) if body is not None else None,
        )
    return operations


@dataclass
class Recorded:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    operation: str | None = None


@dataclass
class FakePull:
    number: int
    title: str
    body: str | None
    head: str
    base: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)


@dataclass
class Failure:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _field_error(name: str, code: str) -> dict[str, str]:
    return {"resource": "PullRequest", "field": name, "code": code}


def _message(status: int, message: str, **extra: Any) -> _Reply:
    body = {"message": message, **extra, "documentation_url": DOCS, "status": str(status)}
    return _Reply(status, body)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections when many calls arrive at once
    daemon_threads = True


class FakeGitHub:
    """Start with ``with FakeGitHub() as github:``; ``github.api_url`` is the API's base URL."""

    def __init__(
        self,
        *,
        token: str = "ghp_fake0123456789abcdefFAKE",
        repository: str = "octo-org/catalog",
        prefix: str = "",
        branches: set[str] | None = None,
    ) -> None:
        self.token = token
        self.owner, self.repo = repository.split("/")
        self.prefix = prefix.rstrip("/")
        self.branches = branches  # None: any head branch exists
        self.pulls: dict[int, FakePull] = {}
        self.requests: list[Recorded] = []
        self.schema_errors: list[str] = []
        self._failures: dict[str, list[Failure]] = {}
        self._operations = load_operations()
        self._next_number = 1
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                reply = fake._serve(self.command, self.path, dict(self.headers.items()), raw)
                data = reply.body
                if not isinstance(data, bytes):
                    data = json.dumps(data).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- set-up and inspection ---------------------------------------------------------------
    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def html_url(self, number: int) -> str:
        return f"https://github.example/{self.full_name}/pull/{number}"

    def add_pull(
        self, head: str, base: str, title: str = "existing", body: str = "", state: str = "open"
    ) -> FakePull:
        with self._lock:
            pull = FakePull(self._next_number, title, body, head, base, state)
            self.pulls[pull.number] = pull
            self._next_number += 1
            return pull

    def fail_next(self, operation: str, failure: Failure, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``operation`` (e.g. ``pulls/create``) with
        ``failure`` instead of serving them (after the Authorization check)."""
        with self._lock:
            self._failures.setdefault(operation, []).extend([failure] * times)

    def calls(self, operation: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if operation is None or r.operation == operation]

    def open_pulls(self) -> list[FakePull]:
        with self._lock:
            return [p for p in self.pulls.values() if p.state == "open"]

    # -- serving -----------------------------------------------------------------------------
    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        url = urlsplit(target)
        path = unquote(url.path)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        recorded = Recorded(method, path, query, headers, body)
        with self._lock:
            self.requests.append(recorded)
            operation, params = self._route(method, path)
            recorded.operation = operation.name if operation else None
            lowered = {k.lower(): v for k, v in headers.items()}
            auth = lowered.get("authorization")
            if auth not in (f"Bearer {self.token}", f"token {self.token}"):
                why = "Requires authentication" if auth is None else "Bad credentials"
                return _message(401, why)
            version = lowered.get("x-github-api-version")
            if version is not None and version != API_VERSION:
                return _message(400, f"The '{version}' API version is not supported.")
            if operation is None:
                return _message(404, "Not Found")
            if (params["owner"], params["repo"]) != (self.owner, self.repo):
                return _message(404, "Not Found")
            problem = self._check(operation, params, query, raw, body)
            if problem is not None:
                return problem
            failures = self._failures.get(operation.name)
            if failures:
                failure = failures.pop(0)
                return _Reply(failure.status, failure.body, failure.headers)
            handler = getattr(self, "_op_" + operation.name.replace("/", "_").replace("-", "_"))
            reply: _Reply = handler(params, query, body)
            return reply

    def _route(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        if not path.startswith(self.prefix + "/"):
            return None, {}
        rest = path[len(self.prefix) :]
        for op in self._operations.values():
            match = op.pattern.fullmatch(rest)
            if match and op.method == method:
                return op, match.groupdict()
        return None, {}

    def _reject(self, status: int, problem: str) -> _Reply:
        self.schema_errors.append(problem)
        return _message(status, problem)

    def _check(
        self, op: Operation, params: dict[str, str], query: dict[str, list[str]], raw: bytes, body: Any
    ) -> _Reply | None:
        for name, schema in op.path_params.items():
            if schema.get("type") == "integer" and not params[name].isdigit():
                problem = f"path parameter {name}={params[name]!r} is not an integer"
                return self._reject(404, f"{op.name}: {problem}")
        for name, values in query.items():
            param = op.query_params.get(name)
            if param is None:
                return self._reject(400, f"{op.name}: unknown query parameter {name!r}")
            if len(values) != 1:
                problem = f"query parameter {name!r} given {len(values)} times"
                return self._reject(400, f"{op.name}: {problem}")
            value: Any = values[0]
            if param.get("type") == "integer":
                if not value.isdigit():
                    problem = f"query parameter {name}={value!r} is not an integer"
                    return self._reject(422, f"{op.name}: {problem}")
                value = int(value)
            errors = list(jsonschema.Draft7Validator(param).iter_errors(value))
            if errors:
                return self._reject(422, f"{op.name}: query parameter {name}: {errors[0].message}")
        if op.body_validator is None:
            if raw:
                return self._reject(400, f"{op.name}: takes no request body")
            return None
        if isinstance(body, bytes) or body is None:
            return self._reject(400, f"{op.name}: Problems parsing JSON")
        errors = sorted(op.body_validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            details = "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
            return self._reject(422, f"{op.name}: Invalid request. {details}")
        return None

    def _json(self, pull: FakePull) -> dict[str, Any]:
        def ref(branch: str) -> dict[str, Any]:
            repo = {"full_name": self.full_name, "name": self.repo, "owner": {"login": self.owner}}
            return {"label": f"{self.owner}:{branch}", "ref": branch, "sha": "0" * 40, "repo": repo}

        return {
            "url": f"{self.api_url}/repos/{self.full_name}/pulls/{pull.number}",
            "id": 1000 + pull.number,
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "html_url": self.html_url(pull.number),
            "head": ref(pull.head),
            "base": ref(pull.base),
            "labels": [{"name": name, "color": "ededed"} for name in pull.labels],
            "draft": False,
            "user": {"login": "freegin-bot"},
        }

    def _pull(self, params: dict[str, str], key: str) -> FakePull | None:
        return self.pulls.get(int(params[key]))

    def _op_pulls_list(self, params: Params, query: Query, body: Any) -> _Reply:
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base = query.get("base", [None])[0]
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        found = [
            p
            for p in sorted(self.pulls.values(), key=lambda p: -p.number)
            if state == "all" or p.state == state
        ]
        if head and ":" in head:  # GitHub ignores a head filter without the owner
            owner, _, branch = head.partition(":")
            found = [p for p in found if owner == self.owner and p.head == branch]
        if base:
            found = [p for p in found if p.base == base]
        chunk = found[(page - 1) * per_page : page * per_page]
        return _Reply(200, [self._json(p) for p in chunk])

    def _op_pulls_create(self, params: Params, query: Query, body: Any) -> _Reply:
        if "title" not in body:
            return _message(422, "Validation Failed", errors=[_field_error("title", "missing_field")])
        head = body["head"]
        if ":" in head:
            owner, _, head = head.partition(":")
            if owner != self.owner:
                return _message(422, "Validation Failed", errors=[_field_error("head", "invalid")])
        if self.branches is not None and head not in self.branches:
            return _message(422, "Validation Failed", errors=[_field_error("head", "invalid")])
        if head == body["base"]:
            return _message(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"No commits between {body['base']} and {head}",
                    }
                ],
            )
        if any(p.state == "open" and p.head == head and p.base == body["base"] for p in self.pulls.values()):
            return _message(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {self.owner}:{head}.",
                    }
                ],
            )
        pull = FakePull(self._next_number, body["title"], body.get("body"), head, body["base"])
        self.pulls[pull.number] = pull
        self._next_number += 1
        return _Reply(201, self._json(pull))

    def _op_pulls_update(self, params: Params, query: Query, body: Any) -> _Reply:
        pull = self._pull(params, "pull_number")
        if pull is None:
            return _message(404, "Not Found")
        for key in ("title", "body", "state", "base"):
            if key in body:
                setattr(pull, key, body[key])
        return _Reply(200, self._json(pull))

    def _op_issues_add_labels(self, params: Params, query: Query, body: Any) -> _Reply:
        pull = self._pull(params, "issue_number")
        if pull is None:
            return _message(404, "Not Found")
        for label in body.get("labels", []):
            name = label if isinstance(label, str) else label["name"]
            if name not in pull.labels:
                pull.labels.append(name)
        return _Reply(200, [{"name": name, "color": "ededed"} for name in pull.labels])

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(**kwargs: Any) -> Iterator[FakeGitHub]:
    """A pytest fixture body: ``yield from serve()``."""
    with FakeGitHub(**kwargs) as server:
        yield server
