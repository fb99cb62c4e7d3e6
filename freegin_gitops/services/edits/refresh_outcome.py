"""Write a refresh's outcome into catalog files, with the same surgical round-trip edits as the
edit commands: suggestions added or made again, models the provider dropped retired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from freegin_gitops.adapters.yaml_nodes import set_key
from freegin_gitops.core.refresh_model import RefreshReport
from freegin_gitops.services.edits.provider_doc import retire_model
from freegin_gitops.services.edits.suggestion_doc import find_suggestions, put_suggestion
from freegin_gitops.services.edits.workspace import Workspace, day, timestamp


def apply_refresh(files: Mapping[str, bytes], report: RefreshReport, now: dt.datetime) -> dict[str, bytes]:
    """The catalog ``files`` with ``report`` written into them (unchanged files included)."""
    workspace = Workspace(files)
    stamp, today = timestamp(now), day(now)
    for outcome in report.providers:
        source = outcome.answered_by
        if outcome.changes:
            root = workspace.suggestions(outcome.provider)
            for change in outcome.changes:
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
                if source is not None:
                    fields["source"] = {"provider": source.provider, "model": source.model}
                put_suggestion(root, fields, stamp)
                for item in find_suggestions(root, change.model, change.workload):
                    set_key(item, "updated_at", stamp)  # made again: the time moves on
        if outcome.retirements:
            provider_root = workspace.provider(outcome.provider)
            for proposal in outcome.retirements:
                retire_model(provider_root, proposal.model, today=today, reason=proposal.reason)
    return {**files, **workspace.changes()}
