"""Changes to the ``models`` of a provider file, over its round-trip document.

``root`` is the document's root mapping (``Workspace.provider(...)``); dates are ``YYYY-MM-DD``
strings. Refresh uses :func:`deprecate_model`, :func:`retire_model` and :func:`reactivate_model`
for the lifecycle of models its provider stops (or starts again) listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from freegin_gitops.adapters.yaml_nodes import (
    append_item,
    delete_item,
    delete_key,
    new_map,
    new_seq,
    set_key,
)
from freegin_gitops.errors import NotFound


def find_model(root: Any, model: str) -> Any:
    """The entry of ``model`` in ``models``, or None."""
    for entry in root["models"]:
        if str(entry.get("id")) == model:
            return entry
    return None


def served(entry: Any) -> list[str]:
    """The workloads listed in the entry (active or not, depending on its status)."""
    return [str(w) for w in entry["workloads"]]


def _retired_index(entry: Any, workload: str) -> int | None:
    for i, gone in enumerate(entry.get("retired_workloads") or ()):
        if str(gone.get("workload")) == workload:
            return i
    return None


def _drop_retired_workload(entry: Any, workload: str) -> bool:
    index = _retired_index(entry, workload)
    if index is None:
        return False
    if len(entry["retired_workloads"]) == 1:
        delete_key(entry, "retired_workloads")
    else:
        delete_item(entry, "retired_workloads", index)
    return True


def _retire_workload(entry: Any, workload: str, today: str, reason: str | None) -> None:
    """Move ``workload`` from ``workloads`` to ``retired_workloads``."""
    delete_item(entry, "workloads", served(entry).index(workload))
    index = _retired_index(entry, workload)
    if index is not None:
        gone = entry["retired_workloads"][index]
        set_key(gone, "retired", today)
        if reason:
            set_key(gone, "reason", reason, after="retired")
        return
    fields: list[tuple[str, Any]] = [("workload", workload), ("retired", today)]
    if reason:
        fields.append(("reason", reason))
    history = entry.get("retired_workloads")
    if history:
        append_item(entry, "retired_workloads", new_map(fields, flow=bool(history[-1].fa.flow_style())))
    else:
        set_key(entry, "retired_workloads", new_seq([new_map(fields)], flow=False))


def new_model_entry(model: str, workloads: Sequence[str], today: str, hints: Any = None) -> Any:
    """A new active entry: ``id``, ``workloads``, ``status``, ``hints`` (if any), ``added``."""
    fields: list[tuple[str, Any]] = [
        ("id", model),
        ("workloads", new_seq(workloads)),
        ("status", "active"),
    ]
    if hints:
        fields.append(("hints", hints))
    fields.append(("added", today))
    return new_map(fields)


def activate_model(root: Any, model: str, workloads: Sequence[str], *, today: str, hints: Any = None) -> bool:
    """Make ``model`` serve ``workloads``: a new entry last in ``models`` (with ``hints``), the
    workloads added to an active entry, or a retired entry re-activated for these workloads only
    (its other workloads move to ``retired_workloads``, keeping its retirement date and reason).
    True if anything changed."""
    entry = find_model(root, model)
    if entry is None:
        append_item(root, "models", new_model_entry(model, workloads, today, hints))
        return True
    changed = False
    for workload in workloads:
        if workload not in served(entry):
            append_item(entry, "workloads", workload)
            changed = True
        changed |= _drop_retired_workload(entry, workload)
    if entry["status"] == "deprecated":
        reactivate_model(root, model)
        return True
    if entry["status"] != "active":
        when = str(entry.get("retired") or today)
        why = entry.get("reason")
        for other in [w for w in served(entry) if w not in workloads]:
            _retire_workload(entry, other, when, str(why) if why else None)
        set_key(entry, "status", "active")
        for key in ("retired", "reason", *LIFECYCLE_KEYS):
            delete_key(entry, key)
        changed = True
    return changed


# What a deprecation adds to an entry, in the order written (after ``added``).
LIFECYCLE_KEYS = ("deprecated", "missing_since", "successor")


def deprecate_model(
    root: Any,
    model: str,
    *,
    today: str,
    reason: str | None = None,
    successor: str | None = None,
    missing_since: str | None = None,
) -> bool:
    """Deprecate ``model``: status ``deprecated`` with the date, and ``reason``, ``successor`` and
    ``missing_since`` when given. A deprecated model keeps its date; a reason or successor given
    replaces the one it had. False when nothing changed; :class:`NotFound` when the file has no
    such model or the model is retired (adopt-model re-activates a retired model)."""
    entry = find_model(root, model)
    if entry is None:
        raise NotFound(f"model {model!r} is not in the provider file")
    if entry["status"] == "retired":
        raise NotFound(f"model {model!r} is retired, so it cannot be deprecated; adopt-model re-activates it")
    changed = False
    if entry["status"] == "active":
        changed |= set_key(entry, "status", "deprecated")
        changed |= set_key(entry, "deprecated", today, after="added")
    after = "deprecated"
    for key, value in (("missing_since", missing_since), ("reason", reason), ("successor", successor)):
        if value is not None:
            changed |= set_key(entry, key, value, after=after)
        if key in entry:
            after = key
    return changed


def reactivate_model(root: Any, model: str) -> bool:
    """Make a deprecated ``model`` active again: its deprecation date, reason, successor and
    ``missing_since`` go. False when it was not deprecated."""
    entry = find_model(root, model)
    if entry is None:
        raise NotFound(f"model {model!r} is not in the provider file")
    if entry["status"] != "deprecated":
        return False
    set_key(entry, "status", "active")
    for key in (*LIFECYCLE_KEYS, "reason"):
        delete_key(entry, key)
    return True


def retire_model(
    root: Any, model: str, *, today: str, workload: str | None = None, reason: str | None = None
) -> bool:
    """Retire ``model`` (status ``retired``, ``retired`` date, ``reason``), or only ``workload``
    of it (moved to ``retired_workloads``); retiring its last workload retires the model, which
    keeps that workload listed. False when it is already retired; :class:`NotFound` when the file
    has no such model or the model never served ``workload``."""
    entry = find_model(root, model)
    if entry is None:
        raise NotFound(f"model {model!r} is not in the provider file")
    if entry["status"] == "retired":
        return False
    listed = served(entry)
    if workload is not None and workload not in listed:
        if _retired_index(entry, workload) is not None:
            return False
        raise NotFound(f"model {model!r} does not serve {workload!r} (it serves {', '.join(listed)})")
    if workload is None or listed == [workload]:
        set_key(entry, "status", "retired")
        set_key(entry, "retired", today, after="deprecated" if "deprecated" in entry else "added")
        if reason:
            set_key(entry, "reason", reason, after="retired")
        return True
    _retire_workload(entry, workload, today, reason)
    return True
