"""``adopt-model``, ``retire-model``, ``reject-model`` and ``deprecate-model`` as functions of the
catalog files.

Each takes the catalog as ``{repository-relative path: bytes}`` and the current time, checks the
names it is given (unknown ones are :class:`NotFound` with close matches), edits the round-trip
documents, and validates the whole catalog with the new bytes before returning them
(:class:`CatalogInvalid` if the edit would break it). Nothing here writes a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from freegin_gitops.adapters.yaml_nodes import copy_node, new_map
from freegin_gitops.core.layout import provider_file
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.errors import NotFound
from freegin_gitops.services.edits.provider_doc import activate_model, deprecate_model, retire_model
from freegin_gitops.services.edits.suggestion_doc import (
    find_suggestions,
    put_suggestion,
    set_status,
)
from freegin_gitops.services.edits.workspace import (
    CatalogView,
    EditResult,
    Workspace,
    check_result,
    day,
    timestamp,
)

REJECTED_UNSUGGESTED = "Rejected by hand before it was suggested, so that refresh never suggests it."


def _for(workloads: Iterable[str]) -> str:
    listed = ", ".join(workloads)
    return f" for {listed}" if listed else ""


def _finish(
    files: Mapping[str, bytes],
    ws: Workspace,
    action: str,
    done: str,
    provider: str,
    model: str,
    workloads: tuple[str, ...],
    reason: str | None = None,
    note: str = "",
) -> EditResult:
    what = f"{action} {provider}/{model}{_for(workloads)}"
    changes = ws.changes()
    check_result(files, changes, what)
    summary = f"{done} {provider}/{model}{_for(workloads)}{note}: {', '.join(changes)}"
    return EditResult(action, provider, model, summary, workloads, changes, reason)


def _unchanged(action: str, provider: str, model: str, workloads: tuple[str, ...], why: str) -> EditResult:
    summary = f"nothing to change: {provider}/{model} {why}"
    return EditResult(action, provider, model, summary, workloads)


def _entry(provider_doc: Mapping[str, Any], model: str) -> Mapping[str, Any] | None:
    return next((m for m in provider_doc["models"] if m["id"] == model), None)


def _merged_hints(items: list[Any]) -> Any:
    """The hints of the first suggestion that has any, completed by the later ones' and by the
    suggestions' ``cost`` and ``speed`` (the model entry keeps them as hints; the suggestion
    keeps its rationale)."""
    merged = None
    for item in items:
        hints = item.get("hints")
        if not hints:
            continue
        if merged is None:
            merged = copy_node(hints)
        else:
            for key, value in hints.items():
                if key not in merged:
                    merged[key] = copy_node(value)
    for key in ("speed", "cost"):
        value = next((item[key] for item in items if item.get(key) is not None), None)
        if value is None or (merged is not None and key in merged):
            continue
        if merged is None:
            merged = new_map({}, flow=True)
        merged[key] = str(value)
    return merged


def _nothing_to_adopt(
    provider: str,
    model: str,
    workload: str | None,
    suggestions: list[Any],
    entry: Mapping[str, Any] | None,
    provider_doc: Mapping[str, Any],
) -> NotFound:
    mine = [s for s in suggestions if s["model"] == model]
    if workload is not None:
        decided = [s for s in mine if s["workload"] == workload]
        if decided:
            return NotFound(
                f"there is no pending suggestion of {provider}/{model} for {workload} "
                f"(it was {decided[0]['status']}), and {provider_file(provider)} has no model "
                f"{model!r}"
            )
    if mine:
        states = ", ".join(sorted({f"{s['workload']} {s['status']}" for s in mine}))
        return NotFound(f"there is no pending suggestion of {provider}/{model} ({states})")
    if entry is not None:
        return NotFound(
            f"there is no pending suggestion of {provider}/{model}; to add a workload to the "
            "model, name it with --workload"
        )
    pending = [s["model"] for s in suggestions if s["status"] == "pending"]
    known = pending + [m["id"] for m in provider_doc["models"]]
    return NotFound(
        f"there is no suggestion of {model!r} for {provider} and no such model in "
        f"{provider_file(provider)}{did_you_mean(model, known)}"
    )


def adopt(
    files: Mapping[str, bytes],
    provider: str,
    model: str,
    workload: str | None = None,
    *,
    now: dt.datetime,
) -> EditResult:
    """Move the pending suggestions of ``model`` (for ``workload``, if given) into the provider's
    active models and mark them adopted. With ``workload`` and no suggestion, a model already in
    the provider file gets that workload."""
    view = CatalogView(files, f"adopt {provider}/{model}{_for([workload] if workload else [])}")
    provider_doc = view.provider(provider)
    if workload is not None:
        view.require_workload(workload)
    suggestions = view.suggestions(provider)
    pending = [
        s
        for s in suggestions
        if s["model"] == model and s["status"] == "pending" and workload in (None, s["workload"])
    ]
    entry = _entry(provider_doc, model)
    if pending:
        workloads = tuple(dict.fromkeys(s["workload"] for s in pending))
    elif workload is not None and entry is not None:
        workloads = (workload,)
        if entry["status"] == "active" and workload in entry["workloads"]:
            return _unchanged("adopt", provider, model, workloads, f"already serves {workload}")
    else:
        raise _nothing_to_adopt(provider, model, workload, suggestions, entry, provider_doc)

    ws = Workspace(files)
    models = ws.provider(provider)  # first: it is written first (see session.py)
    items = []
    if pending:
        items = find_suggestions(ws.suggestions(provider), model, workload, "pending")
    activate_model(models, model, workloads, today=day(now), hints=_merged_hints(items))
    for item in items:
        set_status(item, "adopted", timestamp(now))
    return _finish(files, ws, "adopt", "adopted", provider, model, workloads)


def retire(
    files: Mapping[str, bytes],
    provider: str,
    model: str,
    workload: str | None = None,
    reason: str | None = None,
    *,
    now: dt.datetime,
) -> EditResult:
    """Retire ``model`` of ``provider``, or only ``workload`` of it (kept in the file for
    history)."""
    workloads = (workload,) if workload else ()
    view = CatalogView(files, f"retire {provider}/{model}{_for(workloads)}")
    provider_doc = view.provider(provider)
    if workload is not None:
        view.require_workload(workload)
    entry = _entry(provider_doc, model)
    if entry is None:
        raise _missing_model(provider, model, view, provider_doc)
    retired_ones = [g["workload"] for g in entry.get("retired_workloads", [])]
    if workload is not None and workload not in entry["workloads"] and workload not in retired_ones:
        raise NotFound(
            f"{provider}/{model} does not serve {workload!r} (it serves {', '.join(entry['workloads'])})"
        )
    ws = Workspace(files)
    models = ws.provider(provider)
    if not retire_model(models, model, today=day(now), workload=workload, reason=reason):
        why = f"is already retired{_for(workloads)}"
        return _unchanged("retire", provider, model, workloads, why)
    last = workload is not None and list(entry["workloads"]) == [workload]
    note = " (its last workload: the model is retired)" if last else ""
    return _finish(files, ws, "retire", "retired", provider, model, workloads, reason, note)


def _missing_model(provider: str, model: str, view: CatalogView, provider_doc: Mapping[str, Any]) -> NotFound:
    suggested = any(s["model"] == model for s in view.suggestions(provider))
    hint = (
        " (it is only suggested; to turn a suggestion down use reject-model)"
        if suggested
        else did_you_mean(model, [m["id"] for m in provider_doc["models"]])
    )
    return NotFound(f"{provider_file(provider)} has no model {model!r}{hint}")


def _check_successor(provider: str, model: str, successor: str, provider_doc: Mapping[str, Any]) -> None:
    if successor == model:
        raise NotFound(f"{provider}/{model} cannot be its own successor")
    entry = _entry(provider_doc, successor)
    if entry is None:
        known = [m["id"] for m in provider_doc["models"] if m["status"] == "active"]
        raise NotFound(
            f"the successor {successor!r} is not a model of {provider} ({provider_file(provider)})"
            f"{did_you_mean(successor, known)}; adopt it first"
        )
    if entry["status"] != "active":
        raise NotFound(f"the successor {provider}/{successor} is {entry['status']}; name an active model")


def deprecate(
    files: Mapping[str, bytes],
    provider: str,
    model: str,
    successor: str | None = None,
    reason: str | None = None,
    *,
    now: dt.datetime,
) -> EditResult:
    """Deprecate ``model`` of ``provider`` by hand: the router still uses it, after every active
    model of its workloads, and refresh retires it once it is missing from the provider's model
    list for ``refresh.grace_days``. ``successor`` names the active model that replaces it."""
    view = CatalogView(files, f"deprecate {provider}/{model}")
    provider_doc = view.provider(provider)
    entry = _entry(provider_doc, model)
    if entry is None:
        raise _missing_model(provider, model, view, provider_doc)
    if successor is not None:
        _check_successor(provider, model, successor, provider_doc)
    ws = Workspace(files)
    models = ws.provider(provider)
    if not deprecate_model(models, model, today=day(now), reason=reason, successor=successor):
        why = f"is already deprecated (since {entry['deprecated']})"
        return _unchanged("deprecate", provider, model, (), why)
    note = f" (successor {successor})" if successor else ""
    return _finish(files, ws, "deprecate", "deprecated", provider, model, (), reason, note)


def reject(
    files: Mapping[str, bytes],
    provider: str,
    model: str,
    workload: str | None = None,
    reason: str | None = None,
    *,
    now: dt.datetime,
) -> EditResult:
    """Mark the pending suggestions of ``model`` (for ``workload``, if given) rejected, so that
    refresh never suggests them again. With ``workload`` and no suggestion at all, a rejected
    suggestion is written so that refresh never makes it."""
    view = CatalogView(files, f"reject {provider}/{model}{_for([workload] if workload else [])}")
    provider_doc = view.provider(provider)
    if workload is not None:
        view.require_workload(workload)
    suggestions = view.suggestions(provider)
    mine = [s for s in suggestions if s["model"] == model and workload in (None, s["workload"])]
    pending = [s for s in mine if s["status"] == "pending"]
    adopted = [s for s in mine if s["status"] == "adopted"]
    ws = Workspace(files)
    now_text = timestamp(now)
    if pending:
        workloads = tuple(dict.fromkeys(s["workload"] for s in pending))
        for item in find_suggestions(ws.suggestions(provider), model, workload, "pending"):
            set_status(item, "rejected", now_text, reason)
    elif adopted:
        taken = adopted[0]["workload"]
        raise NotFound(
            f"there is no pending suggestion of {provider}/{model} for {taken}: it was adopted; "
            f"to stop using the model, run: freegin-ai retire-model {provider} {model} "
            f"--workload {taken}"
        )
    elif mine:
        decided = tuple(s["workload"] for s in mine)
        return _unchanged("reject", provider, model, decided, "is already rejected")
    elif workload is not None:
        entry = _entry(provider_doc, model)
        if entry is not None and entry["status"] == "active" and workload in entry["workloads"]:
            raise NotFound(
                f"there is no suggestion of {provider}/{model} for {workload} to reject: the "
                f"model is active for it; to stop using it, run: freegin-ai retire-model "
                f"{provider} {model} --workload {workload}"
            )
        fields: dict[str, Any] = {
            "model": model,
            "workload": workload,
            "rationale": REJECTED_UNSUGGESTED,
            "status": "rejected",
        }
        if reason:
            fields["reason"] = reason
        put_suggestion(ws.suggestions(provider), fields, now_text)
        workloads = (workload,)
    else:
        known = [s["model"] for s in suggestions]
        raise NotFound(
            f"there is no suggestion of {model!r} for {provider}{did_you_mean(model, known)}; "
            "to reject a model before it is suggested, name the workload with --workload"
        )
    return _finish(files, ws, "reject", "rejected", provider, model, workloads, reason)
