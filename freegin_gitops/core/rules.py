"""Cross-file rules: what a JSON Schema cannot say about one file alone.

The input is the parsed documents that passed their schema, keyed by their path relative to the
repository (``catalog/providers/groq.yaml``), plus the paths of catalog files that exist but could
not be read or failed their schema (so that one broken provider file does not also make every
suggestion for it "unknown"). Every problem found is returned; none stops the others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from freegin_gitops.core.identifiers import id_problem, shown, skeleton
from freegin_gitops.core.layout import (
    CONFIG_FILE,
    PROVIDERS_DIR,
    SUGGESTIONS_DIR,
    WORKLOADS_FILE,
    provider_file,
)
from freegin_gitops.core.limit_rules import limit_problems
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.core.problems import JsonPath, PendingProblem
from freegin_gitops.core.redact import url_credentials

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_YAML_SUFFIX = re.compile(r"\.ya?ml$")
_SECRET_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"}


def stem(path: str) -> str:
    """The provider a catalog file is for. A misnamed ``.yml`` file still names its provider, so
    that it is reported once, not again through every suggestion and reference to it."""
    return _YAML_SUFFIX.sub("", path.rsplit("/", 1)[-1])


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_timestamp(value: str) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[PendingProblem] = []

    def add(self, file: str, path: JsonPath, message: str, key: str | None = None) -> None:
        self.problems.append(PendingProblem(file, path, message, key))

    def date(self, file: str, path: JsonPath, value: Any) -> dt.date | None:
        if not isinstance(value, str):
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.add(file, path, f"{value!r} is not a real calendar date (YYYY-MM-DD)")
        return parsed

    def timestamp(self, file: str, path: JsonPath, value: Any) -> dt.datetime | None:
        if not isinstance(value, str):
            return None
        parsed = parse_timestamp(value)
        if parsed is None:
            self.add(file, path, f"{value!r} is not a real date and time (YYYY-MM-DDTHH:MM:SSZ)")
        return parsed


def check_catalog(documents: Mapping[str, Any], broken: Iterable[str] = ()) -> list[PendingProblem]:
    """Every cross-file problem in the catalog."""
    out = _Collector()
    broken = set(broken)
    folders = [b for b in broken if b.endswith("/")]  # folders that could not be read at all

    def unread(path: str) -> bool:
        return path in broken or any(path.startswith(folder) for folder in folders)

    provider_docs = {p: d for p, d in documents.items() if p.startswith(PROVIDERS_DIR + "/")}
    # With the providers folder unread, no provider can be called unknown.
    known_providers: set[str] | None = None
    if not unread(PROVIDERS_DIR + "/"):
        known_providers = {stem(p) for p in provider_docs} | {
            stem(p) for p in broken if p.startswith(PROVIDERS_DIR + "/")
        }
    workloads_doc = documents.get(WORKLOADS_FILE)
    workloads: set[str] | None = set(workloads_doc["workloads"]) if workloads_doc else None
    if workloads_doc is None and not unread(WORKLOADS_FILE):
        out.add(
            WORKLOADS_FILE, (), "the file is missing; it defines the workloads (chat, summarisation, code)"
        )
    if documents.get(CONFIG_FILE) is None and not unread(CONFIG_FILE):
        out.add(CONFIG_FILE, (), "the file is missing; it holds the refresh and routing settings")

    active: dict[tuple[str, str], set[str]] = {}
    for path, doc in sorted(provider_docs.items()):
        _check_provider(out, path, doc, workloads, active)
    for path, doc in sorted(documents.items()):
        if path.startswith(SUGGESTIONS_DIR + "/"):
            _check_suggestions(out, path, doc, workloads, known_providers, active)
    config = documents.get(CONFIG_FILE)
    if config is not None:
        _check_config(out, config, workloads, known_providers)
    return out.problems


def _check_workload(
    out: _Collector,
    file: str,
    path: JsonPath,
    name: str,
    workloads: set[str] | None,
    key: str | None = None,
) -> None:
    if workloads is not None and name not in workloads:
        out.add(
            file,
            path,
            f"unknown workload {name!r}; workloads are defined in {WORKLOADS_FILE}"
            f"{did_you_mean(name, workloads)}",
            key,
        )


def _check_limits(out: _Collector, file: str, path: JsonPath, limits: Mapping[str, Any]) -> None:
    if "checked" in limits:
        out.date(file, (*path, "checked"), limits["checked"])
    for where, message in limit_problems(limits):
        out.add(file, (*path, where), message)


def _check_provider(
    out: _Collector,
    path: str,
    doc: Mapping[str, Any],
    workloads: set[str] | None,
    active: dict[tuple[str, str], set[str]],
) -> None:
    name = stem(path)
    if not PROVIDER_ID.match(name):
        out.add(
            path,
            (),
            f"the file name {name!r} is not a valid provider id (lower-case letters, digits and '-')",
        )
    if doc["provider"] != name:
        out.add(path, ("provider",), f"provider {doc['provider']!r} must equal the file name {name!r}")
    api = doc["api"]
    base_url: str = api["base_url"]
    credential = url_credentials(base_url)
    if re.match(r"^https?://[^/@]*@", base_url) or credential is not None:
        carried = f" ({credential})" if credential else ""
        out.add(
            path,
            ("api", "base_url"),
            f"the base URL must not carry credentials{carried}; name the key's variable in api_key_env",
        )
    for placeholder in _PLACEHOLDER.findall(base_url):
        if not _ENV_NAME.match(placeholder):
            out.add(
                path,
                ("api", "base_url"),
                f"the placeholder ${{{placeholder}}} is not an environment variable name",
            )
    for header in api.get("headers", {}):
        if header.lower() in _SECRET_HEADERS:
            out.add(
                path,
                ("api", "headers"),
                f"the header {header!r} would hold a secret; keys come only from the variable "
                "named in api_key_env",
                key=header,
            )
    if "limits" in doc:
        _check_limits(out, path, ("limits",), doc["limits"])

    seen: dict[str, int] = {}
    looks: dict[str, int] = {}  # skeleton -> first index
    statuses = {str(m["id"]): str(m["status"]) for m in doc["models"]}
    for i, model in enumerate(doc["models"]):
        here: JsonPath = ("models", i)
        model_id: str = model["id"]
        _check_id(out, path, (*here, "id"), model_id)
        if model_id in seen:
            out.add(
                path, (*here, "id"), f"model {model_id!r} is listed twice (first at models[{seen[model_id]}])"
            )
        else:
            seen[model_id] = i
            first = looks.setdefault(skeleton(model_id), i)
            if first != i:
                other = doc["models"][first]["id"]
                out.add(
                    path,
                    (*here, "id"),
                    f"model {shown(model_id)} looks exactly like {shown(other)} (models[{first}]) but is "
                    "not the same id: likely a duplicate",
                )
        for j, workload in enumerate(model["workloads"]):
            _check_workload(out, path, (*here, "workloads", j), workload, workloads)
        if "limits" in model:
            _check_limits(out, path, (*here, "limits"), model["limits"])
        added = out.date(path, (*here, "added"), model["added"])
        retired = out.date(path, (*here, "retired"), model.get("retired"))
        if model["status"] == "active":
            if "retired" in model:
                out.add(
                    path,
                    (*here, "retired"),
                    f"model {model_id!r} is active but has a retired date; "
                    "set status: retired or remove the date",
                )
            for workload in model["workloads"]:
                active.setdefault((name, model_id), set()).add(workload)
        elif model["status"] == "deprecated" and "retired" in model:
            out.add(
                path,
                (*here, "retired"),
                f"model {model_id!r} is deprecated but has a retired date; "
                "set status: retired or remove the date",
            )
        if added and retired and retired < added:
            out.add(
                path,
                (*here, "retired"),
                f"model {model_id!r} was retired ({retired}) before it was added ({added})",
            )
        _check_lifecycle(out, path, here, model, statuses, added, retired)
        for k, gone in enumerate(model.get("retired_workloads", [])):
            gone_path: JsonPath = (*here, "retired_workloads", k)
            _check_workload(out, path, (*gone_path, "workload"), gone["workload"], workloads)
            out.date(path, (*gone_path, "retired"), gone["retired"])
            if model["status"] != "retired" and gone["workload"] in model["workloads"]:
                out.add(
                    path,
                    (*gone_path, "workload"),
                    f"workload {gone['workload']!r} of model {model_id!r} is listed both as served "
                    "and as retired",
                )


_LIFECYCLE_KEYS = ("deprecated", "missing_since", "successor")


def _check_lifecycle(
    out: _Collector,
    path: str,
    here: JsonPath,
    model: Mapping[str, Any],
    statuses: Mapping[str, str],
    added: dt.date | None,
    retired: dt.date | None,
) -> None:
    """Deprecation dates in order, and a successor that exists (and is active while the model is
    deprecated: the router's users are pointed at it)."""
    model_id: str = model["id"]
    status: str = model["status"]
    if status == "active":
        for key in _LIFECYCLE_KEYS:
            if key in model:
                out.add(
                    path,
                    (*here, key),
                    f"model {model_id!r} is active but has {key!r}; set status: deprecated or remove {key!r}",
                )
        return
    deprecated = out.date(path, (*here, "deprecated"), model.get("deprecated"))
    missing = out.date(path, (*here, "missing_since"), model.get("missing_since"))
    if added and deprecated and deprecated < added:
        out.add(
            path,
            (*here, "deprecated"),
            f"model {model_id!r} was deprecated ({deprecated}) before it was added ({added})",
        )
    if deprecated and retired and retired < deprecated:
        out.add(
            path,
            (*here, "retired"),
            f"model {model_id!r} was retired ({retired}) before it was deprecated ({deprecated})",
        )
    if added and missing and missing < added:
        out.add(
            path,
            (*here, "missing_since"),
            f"model {model_id!r} went missing ({missing}) before it was added ({added})",
        )
    successor = model.get("successor")
    if successor is None:
        return
    where: JsonPath = (*here, "successor")
    if successor == model_id:
        out.add(path, where, f"model {model_id!r} names itself as its successor")
    elif successor not in statuses:
        out.add(
            path,
            where,
            f"successor {successor!r} of model {model_id!r} is not a model of this provider"
            f"{did_you_mean(successor, statuses)}",
        )
    elif status == "deprecated" and statuses[successor] != "active":
        out.add(
            path,
            where,
            f"successor {successor!r} of model {model_id!r} is {statuses[successor]}; name an "
            "active model of this provider, or remove the successor",
        )


def _check_id(out: _Collector, file: str, path: JsonPath, model_id: str) -> None:
    problem = id_problem(model_id)
    if problem is not None:
        out.add(file, path, f"the model id {shown(model_id)} {problem}")


def _check_suggestions(
    out: _Collector,
    path: str,
    doc: Mapping[str, Any],
    workloads: set[str] | None,
    known_providers: set[str] | None,
    active: Mapping[tuple[str, str], set[str]],
) -> None:
    provider = stem(path)
    if known_providers is not None and provider not in known_providers:
        out.add(
            path,
            (),
            f"suggestions for unknown provider {provider!r}: there is no {provider_file(provider)}"
            f"{did_you_mean(provider, known_providers)}",
        )
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(doc["suggestions"]):
        here: JsonPath = ("suggestions", i)
        _check_id(out, path, (*here, "model"), item["model"])
        key = (item["workload"], item["model"])
        if key in seen:
            out.add(
                path,
                (*here, "model"),
                f"model {item['model']!r} is suggested twice for {item['workload']!r} "
                f"(first at suggestions[{seen[key]}])",
            )
        else:
            seen[key] = i
        _check_workload(out, path, (*here, "workload"), item["workload"], workloads)
        created = out.timestamp(path, (*here, "created_at"), item["created_at"])
        updated = out.timestamp(path, (*here, "updated_at"), item["updated_at"])
        if created and updated and updated < created:
            out.add(path, (*here, "updated_at"), "updated_at is earlier than created_at")
        if item["status"] == "pending" and item["workload"] in active.get((provider, item["model"]), set()):
            out.add(
                path,
                (*here, "status"),
                f"model {item['model']!r} is already active for {item['workload']!r} "
                f"in {provider_file(provider)}; "
                "mark the suggestion adopted (freegin-ai adopt-model) or remove it",
            )


def _check_ref(out: _Collector, path: JsonPath, provider: str, known: set[str] | None, what: str) -> None:
    if known is not None and provider not in known:
        out.add(
            CONFIG_FILE,
            path,
            f"{what} names unknown provider {provider!r} (no {provider_file(provider)})"
            f"{did_you_mean(provider, known)}",
        )


def _check_config(
    out: _Collector,
    config: Mapping[str, Any],
    workloads: set[str] | None,
    known: set[str] | None,
) -> None:
    refresh = config["refresh"]
    if "provider" in refresh:
        _check_ref(out, ("refresh", "provider"), refresh["provider"], known, "refresh")
    for i, ref in enumerate(refresh.get("fallback", [])):
        _check_ref(out, ("refresh", "fallback", i, "provider"), ref["provider"], known, "refresh.fallback")
    order: Sequence[str] = config["routing"].get("provider_order", [])
    for i, provider in enumerate(order):
        _check_ref(out, ("routing", "provider_order", i), provider, known, "routing.provider_order")
    for workload, refs in config.get("defaults", {}).items():
        _check_workload(out, CONFIG_FILE, ("defaults",), workload, workloads, key=workload)
        for i, ref in enumerate(refs):
            _check_ref(out, ("defaults", workload, i, "provider"), ref["provider"], known, "defaults")
