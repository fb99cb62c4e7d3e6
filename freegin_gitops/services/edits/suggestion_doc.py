"""Changes to a suggestions file, over its round-trip document.

``root`` is the document's root mapping (``Workspace.suggestions(...)``, which creates the file
with its schema line when it is missing); times are ``YYYY-MM-DDTHH:MM:SSZ`` strings. Refresh uses
:func:`put_suggestion` to add or update what it suggests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freegin_gitops.adapters.yaml_edit import folded
from freegin_gitops.adapters.yaml_nodes import append_item, new_map, new_seq, set_key

# Where keys go in a new suggestion, and where a key added to an existing one is placed.
KEY_ORDER = (
    "model",
    "workload",
    "rationale",
    "cost",
    "speed",
    "status",
    "reason",
    "verified",
    "source",
    "hints",
    "created_at",
    "updated_at",
)


def find_suggestions(
    root: Any, model: str, workload: str | None = None, status: str | None = None
) -> list[Any]:
    """The suggestions of ``model`` (for ``workload``, with ``status``, if given), in file order."""
    return [
        item
        for item in root["suggestions"]
        if str(item.get("model")) == model
        and (workload is None or str(item.get("workload")) == workload)
        and (status is None or str(item.get("status")) == status)
    ]


def _after(item: Any, key: str) -> str | None:
    """The key of ``item`` a new ``key`` should follow, by :data:`KEY_ORDER`."""
    earlier = KEY_ORDER[: KEY_ORDER.index(key)] if key in KEY_ORDER else KEY_ORDER
    present = [k for k in earlier if k in item]
    return present[-1] if present else None


def _node(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return new_map({k: _node(k, v) for k, v in value.items()}, flow=True)
    if isinstance(value, list | tuple):
        return new_seq(value)
    if key == "rationale" and isinstance(value, str):
        return folded(value)
    return value


def set_status(item: Any, status: str, now: str, reason: str | None = None) -> bool:
    """Give a suggestion ``status`` (and ``reason``, if given); ``updated_at`` becomes ``now``
    when anything changed. True if anything changed."""
    changed = set_key(item, "status", status)
    if reason:
        changed |= set_key(item, "reason", reason, after=_after(item, "reason"))
    if changed:
        set_key(item, "updated_at", now)
    return changed


def put_suggestion(root: Any, fields: Mapping[str, Any], now: str) -> bool:
    """Add the suggestion ``fields`` (at least model, workload, rationale, status), or update the
    one with the same model and workload: each field given is set, the others are kept, and
    ``updated_at`` becomes ``now`` if anything changed (``created_at`` never does). Mappings are
    written in flow style (``{provider: x, model: y}``), a long rationale folded. True if anything
    changed."""
    model, workload = str(fields["model"]), str(fields["workload"])
    existing = find_suggestions(root, model, workload)
    if existing:
        item = existing[0]
        changed = False
        for key, value in fields.items():
            if key in ("model", "workload", "created_at", "updated_at"):
                continue
            if key == "rationale" and str(item.get(key)) == value:
                continue
            changed |= set_key(item, key, _node(key, value), after=_after(item, key))
        if changed:
            set_key(item, "updated_at", now)
        return changed
    given = {**fields, "created_at": fields.get("created_at", now), "updated_at": now}
    ordered = [k for k in KEY_ORDER if k in given] + [k for k in given if k not in KEY_ORDER]
    append_item(root, "suggestions", new_map((k, _node(k, given[k])) for k in ordered))
    return True
