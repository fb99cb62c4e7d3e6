"""Write a refresh's outcome into catalog files, with the same surgical round-trip edits as the
edit commands: suggestions added or made again, and the lifecycle of models the provider stopped
(or started again) listing: deprecated, retired, active again; and the catalog limits the
provider's rate-limit headers contradict, set to what it reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from freegin_gitops.adapters.yaml_nodes import delete_key, new_map, set_key
from freegin_gitops.core.limit_corrections import LimitCorrection
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)
from freegin_gitops.services.edits.provider_doc import (
    deprecate_model,
    find_model,
    reactivate_model,
    retire_model,
)
from freegin_gitops.services.edits.suggestion_doc import find_suggestions, put_suggestion
from freegin_gitops.services.edits.workspace import Workspace, day, timestamp


def _suggestion_fields(change: SuggestionChange, outcome: ProviderRefresh) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "model": change.model,
        "workload": change.workload,
        "rationale": change.rationale,
        "status": "pending",
        "verified": change.verified,
    }
    if change.cost:
        fields["cost"] = change.cost
    if change.speed:
        fields["speed"] = change.speed
    source = outcome.answered_by
    if source is not None:
        fields["source"] = {"provider": source.provider, "model": source.model}
    return fields


def _put_context_window(item: Any, context_window: int) -> None:
    """The list's context window into the suggestion's hints, keeping any other hint."""
    hints = item.get("hints")
    if hints is None:
        set_key(item, "hints", new_map({"context_window": context_window}, flow=True), after="source")
    else:
        set_key(hints, "context_window", context_window)


def _write_suggestions(workspace: Workspace, outcome: ProviderRefresh, stamp: str) -> None:
    root = workspace.suggestions(outcome.provider)
    for change in outcome.changes:
        put_suggestion(root, _suggestion_fields(change, outcome), stamp)
        for item in find_suggestions(root, change.model, change.workload):
            if change.context_window is not None:
                _put_context_window(item, change.context_window)
            set_key(item, "updated_at", stamp)  # made again with something new: the time moves on


def _write_lifecycle(root: Any, proposal: LifecycleProposal, today: str) -> None:
    if proposal.change == "deprecate":
        deprecate_model(root, proposal.model, today=today, reason=proposal.reason, missing_since=today)
    elif proposal.change == "retire":
        retire_model(root, proposal.model, today=today, reason=proposal.reason)
    else:
        reactivate_model(root, proposal.model)
    for orphan in proposal.orphans:
        entry = find_model(root, orphan)
        if entry is not None:
            delete_key(entry, "successor")


def _write_limit(root: Any, correction: LimitCorrection) -> None:
    owner = root if correction.model is None else find_model(root, correction.model)
    limits = owner.get("limits") if owner is not None else None
    if limits is not None:  # the correction is of a limit the file declares
        set_key(limits, correction.key, correction.reported)


def apply_refresh(files: Mapping[str, bytes], report: RefreshReport, now: dt.datetime) -> dict[str, bytes]:
    """The catalog ``files`` with ``report`` written into them (unchanged files included)."""
    workspace = Workspace(files)
    stamp, today = timestamp(now), day(now)
    for outcome in report.providers:
        if outcome.lifecycle:  # first: a provider file is written before its suggestions
            root = workspace.provider(outcome.provider)
            for proposal in outcome.lifecycle:
                _write_lifecycle(root, proposal, today)
        for correction in outcome.limit_corrections:
            _write_limit(workspace.provider(outcome.provider), correction)
        if outcome.changes:
            _write_suggestions(workspace, outcome, stamp)
    return {**files, **workspace.changes()}
