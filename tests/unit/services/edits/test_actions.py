"""adopt, retire, reject and deprecate over file contents: golden outputs, minimal diffs, refusals.

The input is the hand-commented catalog in ``tests/examples/golden/catalog``; each case's expected
files are in ``tests/examples/golden/expected/<case>/``. After a deliberate change of output, run
``FREEGIN_UPDATE_GOLDEN=1 pytest tests/unit/test_catalog_edits.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import shutil
from collections.abc import Callable, Mapping

import pytest

from freegin_gitops.adapters import yaml_edit
from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.errors import CatalogInvalid, NotFound
from freegin_gitops.services.catalog.loading import load_files
from freegin_gitops.services.edits import EditResult, adopt, deprecate, reject, retire
from freegin_gitops.services.edits.provider_doc import retire_model
from freegin_gitops.services.edits.suggestion_doc import put_suggestion
from freegin_gitops.services.edits.workspace import Workspace
from tests.helpers import EXAMPLES

GOLDEN = EXAMPLES / "golden"
EXPECTED = GOLDEN / "expected"
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PROVIDER = "catalog/providers/acme.yaml"
SUGGESTIONS = "catalog/suggestions/acme.yaml"

Files = Mapping[str, bytes]

CASES: dict[str, Callable[[Files], EditResult]] = {
    "adopt-new-model": lambda f: adopt(f, "acme", "qwen-coder", now=NOW),
    "adopt-one-workload": lambda f: adopt(f, "acme", "qwen-coder", "chat", now=NOW),
    "adopt-add-workload": lambda f: adopt(f, "acme", "big-model", "code", now=NOW),
    "adopt-reactivate": lambda f: adopt(f, "acme", "old-model", now=NOW),
    "retire-model": lambda f: retire(f, "acme", "big-model", reason="slower than tiny: see #42", now=NOW),
    "retire-workload": lambda f: retire(f, "acme", "tiny", "code", now=NOW),
    "retire-last-workload": lambda f: retire(f, "acme", "small-model", "chat", reason="removed", now=NOW),
    "retire-unindented": lambda f: retire(f, "beta", "beta-chat", now=NOW),
    "reject-pending": lambda f: reject(f, "acme", "qwen-coder", "chat", reason="too chatty", now=NOW),
    "reject-all-pending": lambda f: reject(f, "acme", "qwen-coder", now=NOW),
    "reject-unsuggested": lambda f: reject(f, "acme", "mega-model", "code", reason="not free", now=NOW),
    "reject-new-file": lambda f: reject(f, "beta", "beta-code", "code", now=NOW),
    "deprecate-model": lambda f: deprecate(f, "acme", "big-model", "tiny", "slower than tiny", now=NOW),
    "deprecate-flow-entry": lambda f: deprecate(f, "acme", "small-model", now=NOW),
}


@pytest.fixture
def files() -> dict[str, bytes]:
    return read_catalog_dir(GOLDEN)


def diff(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """(removed lines, added lines)."""
    lines = difflib.ndiff(before.decode().splitlines(), after.decode().splitlines())
    removed, added = [], []
    for line in lines:
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def comments(data: bytes) -> list[str]:
    return [line.split("#", 1)[1] for line in data.decode().splitlines() if "#" in line]


def keys(lines: list[str]) -> list[str]:
    return [line.strip().lstrip("- ").split(":", 1)[0] for line in lines]


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, files: dict[str, bytes]) -> None:
    result = CASES[case](files)
    folder = EXPECTED / case
    if os.environ.get("FREEGIN_UPDATE_GOLDEN"):
        shutil.rmtree(folder, ignore_errors=True)
        for path, data in result.changes.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
    expected = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.yaml")}
    assert dict(result.changes) == expected
    assert not load_files({**files, **result.changes}).problems


def test_adopt_adds_lines_to_the_provider_and_changes_only_status_lines(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", now=NOW)
    removed, added = diff(files[PROVIDER], result.changes[PROVIDER])
    assert removed == []
    assert keys(added) == ["id", "workloads", "status", "hints", "added"]
    removed, added = diff(files[SUGGESTIONS], result.changes[SUGGESTIONS])
    assert keys(removed) == keys(added) == ["status", "updated_at"] * 2


def test_retire_changes_only_the_status_and_adds_the_date_and_reason(files: Files) -> None:
    result = retire(files, "acme", "big-model", reason="too slow", now=NOW)
    removed, added = diff(files[PROVIDER], result.changes[PROVIDER])
    assert removed == ["    status: active"]
    assert added == ["    status: retired", "    retired: 2026-11-25", "    reason: too slow"]


def test_reject_changes_only_the_status_and_time_and_adds_the_reason(files: Files) -> None:
    result = reject(files, "acme", "old-model", "chat", reason="still flaky", now=NOW)
    removed, added = diff(files[SUGGESTIONS], result.changes[SUGGESTIONS])
    assert keys(removed) == ["status", "updated_at"]
    assert keys(added) == ["status", "reason", "updated_at"]


def test_every_comment_survives_an_adopt(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", now=NOW)
    for path, data in result.changes.items():
        assert comments(files[path]) == comments(data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: adopt(f, "acme", "qwen-codr", now=NOW), "did you mean 'qwen-coder'?"),
        (lambda f: adopt(f, "acmee", "qwen-coder", now=NOW), "did you mean 'acme'?"),
        (lambda f: adopt(f, "acme", "qwen-coder", "cod", now=NOW), "did you mean 'code'?"),
        (lambda f: retire(f, "acme", "big-modle", now=NOW), "did you mean 'big-model'?"),
        (lambda f: retire(f, "acme", "qwen-coder", now=NOW), "use reject-model"),
        (lambda f: retire(f, "acme", "tiny", "summarisation", now=NOW), "it serves chat, code"),
        (lambda f: reject(f, "acme", "qwen-codr", now=NOW), "did you mean 'qwen-coder'?"),
        (lambda f: reject(f, "bta", "x", "code", now=NOW), "did you mean 'beta'?"),
        (lambda f: adopt(f, "acme", "big-model", now=NOW), "name it with --workload"),
        (lambda f: adopt(f, "acme", "huge-model", "summarisation", now=NOW), "it was rejected"),
        (lambda f: reject(f, "acme", "tiny", "chat", now=NOW), "retire-model acme tiny"),
    ],
)
def test_unknown_names_are_refused_with_close_matches(
    files: Files, edit: Callable[[Files], EditResult], message: str
) -> None:
    with pytest.raises(NotFound, match=re.escape(message)):
        edit(files)


@pytest.mark.parametrize(
    ("edit", "summary"),
    [
        (lambda f: retire(f, "acme", "old-model", now=NOW), "acme/old-model is already retired"),
        (lambda f: adopt(f, "acme", "big-model", "chat", now=NOW), "already serves chat"),
        (lambda f: reject(f, "acme", "huge-model", now=NOW), "is already rejected"),
        (lambda f: reject(f, "acme", "huge-model", "summarisation", now=NOW), "already rejected"),
    ],
)
def test_nothing_to_change(files: Files, edit: Callable[[Files], EditResult], summary: str) -> None:
    result = edit(files)
    assert not result.changed
    assert result.summary.startswith("nothing to change: ")
    assert summary in result.summary


def test_rejecting_an_adopted_suggestion_points_at_retire(files: Files) -> None:
    adopted = {**files, **adopt(files, "acme", "qwen-coder", "code", now=NOW).changes}
    with pytest.raises(NotFound, match=r"adopted; .* retire-model acme qwen-coder --workload code"):
        reject(adopted, "acme", "qwen-coder", "code", now=NOW)


def test_an_edit_that_would_make_the_catalog_invalid_is_refused(files: Files) -> None:
    before_created = dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    with pytest.raises(CatalogInvalid, match=r"refusing to adopt acme/qwen-coder.*earlier than"):
        adopt(files, "acme", "qwen-coder", now=before_created)
    before_added = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    with pytest.raises(CatalogInvalid, match=r"retired \(2026-10-01\) before it was added"):
        retire(files, "acme", "big-model", now=before_added)


def test_a_broken_file_the_edit_needs_is_refused(files: Files) -> None:
    broken = {**files, PROVIDER: files[PROVIDER].replace(b"models:", b"modles:")}
    with pytest.raises(CatalogInvalid, match=r"cannot adopt acme/qwen-coder: catalog/provider"):
        adopt(broken, "acme", "qwen-coder", now=NOW)


def test_adopt_repairs_a_half_written_adoption(files: Files) -> None:
    """A crash between writing the provider file and the suggestions file leaves the model active
    and its suggestion pending, which validate reports; running adopt again completes it."""
    done = adopt(files, "acme", "qwen-coder", now=NOW).changes
    half = {**files, PROVIDER: done[PROVIDER]}
    assert load_files(half).problems
    again = adopt(half, "acme", "qwen-coder", now=NOW)
    assert list(again.changes) == [SUGGESTIONS]
    assert again.changes[SUGGESTIONS] == done[SUGGESTIONS]


def test_retire_a_workload_then_adopt_it_again_restores_the_file(files: Files) -> None:
    retired = {**files, **retire(files, "acme", "tiny", "code", now=NOW).changes}
    again = adopt(retired, "acme", "tiny", "code", now=NOW)
    assert again.changes[PROVIDER] == files[PROVIDER]


def test_adopt_writes_the_provider_file_first(files: Files) -> None:
    assert adopt(files, "acme", "qwen-coder", now=NOW).paths == (PROVIDER, SUGGESTIONS)


def test_commit_message_names_action_model_and_workloads(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", now=NOW)
    assert result.commit_message() == "catalog: adopt acme/qwen-coder for code, chat\n"
    retired = retire(files, "acme", "big-model", reason="slow", now=NOW)
    assert retired.commit_message() == "catalog: retire acme/big-model\n\nReason: slow\n"


def test_retire_model_helper_for_refresh(files: Files) -> None:
    ws = Workspace(files)
    models = ws.provider("acme")
    assert retire_model(models, "tiny", today="2026-11-25", reason="not listed by the provider")
    assert not retire_model(models, "tiny", today="2026-11-26")
    with pytest.raises(NotFound):
        retire_model(models, "nope", today="2026-11-25")
    text = ws.changes()[PROVIDER].decode()
    assert "    retired: 2026-11-25\n    reason: not listed by the provider\n" in text


def test_put_suggestion_adds_then_updates_in_place(files: Files) -> None:
    ws = Workspace(files)
    root = ws.suggestions("beta")
    fields = {
        "model": "beta-code",
        "workload": "code",
        "rationale": " ".join(["Fast."] * 30),
        "cost": "free",
        "speed": "fast",
        "status": "pending",
        "verified": None,
        "source": {"provider": "acme", "model": "big-model"},
    }
    assert put_suggestion(root, fields, "2026-11-25T10:00:00Z")
    assert not put_suggestion(root, fields, "2026-11-26T10:00:00Z")
    assert put_suggestion(root, {**fields, "verified": True}, "2026-11-27T10:00:00Z")
    text = ws.changes()["catalog/suggestions/beta.yaml"].decode()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/suggestions.schema")
    assert "    rationale: >-\n      Fast. Fast." in text
    assert "    verified: true\n    source: {provider: acme, model: big-model}\n" in text
    assert "created_at: 2026-11-25T10:00:00Z\n    updated_at: 2026-11-27T10:00:00Z\n" in text
    assert not load_files({**files, "catalog/suggestions/beta.yaml": text.encode()}).problems


def test_suggestion_hints_are_copied_with_their_style(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", "code", now=NOW)
    hints = b"    hints: {context_window: 131072, speed: fast, quality: high, cost: free}\n"
    assert hints in result.changes[PROVIDER]


def test_a_naive_clock_is_taken_as_utc(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", "chat", now=NOW.replace(tzinfo=None))
    assert b"updated_at: 2026-11-25T10:00:00Z" in result.changes[SUGGESTIONS]


def test_edits_keep_a_document_start_header() -> None:
    raw = (GOLDEN / "catalog" / "providers" / "beta.yaml").read_bytes()
    with_header = raw.replace(b"provider: beta\n", b"---\nprovider: beta\n", 1)
    doc = yaml_edit.load(with_header, "catalog/providers/beta.yaml")
    retire_model(doc.root, "beta-chat", today="2026-11-25")
    assert yaml_edit.dump(doc).startswith(with_header.split(b"name:")[0])


# -- deprecate-model and the lifecycle ---------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: deprecate(f, "acme", "big-modle", now=NOW), "did you mean 'big-model'?"),
        (lambda f: deprecate(f, "acme", "qwen-coder", now=NOW), "use reject-model"),
        (lambda f: deprecate(f, "acme", "old-model", now=NOW), "is retired, so it cannot be deprecated"),
        (lambda f: deprecate(f, "acme", "big-model", "tiyn", now=NOW), "did you mean 'tiny'?"),
        (lambda f: deprecate(f, "acme", "big-model", "old-model", now=NOW), "acme/old-model is retired"),
        (lambda f: deprecate(f, "acme", "big-model", "big-model", now=NOW), "cannot be its own successor"),
    ],
)
def test_deprecate_refuses_unknown_or_unfit_models(
    files: Files, edit: Callable[[Files], EditResult], message: str
) -> None:
    with pytest.raises(NotFound, match=re.escape(message)):
        edit(files)


def test_deprecate_changes_the_status_and_adds_date_reason_and_successor(files: Files) -> None:
    result = deprecate(files, "acme", "big-model", "tiny", "slower", now=NOW)
    removed, added = diff(files[PROVIDER], result.changes[PROVIDER])
    assert removed == ["    status: active"]
    assert added == [
        "    status: deprecated",
        "    deprecated: 2026-11-25",
        "    reason: slower",
        "    successor: tiny",
    ]
    assert result.summary == "deprecated acme/big-model (successor tiny): catalog/providers/acme.yaml"
    assert result.commit_message() == "catalog: deprecate acme/big-model\n\nReason: slower\n"


def test_deprecating_again_keeps_the_date_and_changes_only_what_is_given(files: Files) -> None:
    first = deprecate(files, "acme", "big-model", reason="slower", now=NOW)
    later = {**files, **first.changes}
    again = deprecate(later, "acme", "big-model", now=NOW + dt.timedelta(days=3))
    assert not again.changed
    assert "acme/big-model is already deprecated (since 2026-11-25)" in again.summary
    successor = deprecate(later, "acme", "big-model", "tiny", now=NOW + dt.timedelta(days=3))
    removed, added = diff(later[PROVIDER], successor.changes[PROVIDER])
    assert (removed, added) == ([], ["    successor: tiny"])


def test_adopting_a_deprecated_model_restores_the_file(files: Files) -> None:
    deprecated = {**files, **deprecate(files, "acme", "tiny", now=NOW).changes}
    restored = adopt(deprecated, "acme", "tiny", "chat", now=NOW)
    assert restored.changes[PROVIDER] == files[PROVIDER]


def test_retiring_a_deprecated_model_keeps_its_deprecation_date(files: Files) -> None:
    deprecated = {**files, **deprecate(files, "acme", "tiny", "big-model", now=NOW).changes}
    later = NOW + dt.timedelta(days=20)
    result = retire(deprecated, "acme", "tiny", reason="gone", now=later)
    removed, added = diff(deprecated[PROVIDER], result.changes[PROVIDER])
    assert removed == ["    status: deprecated"]
    assert added == ["    status: retired", "    retired: 2026-12-15", "    reason: gone"]
    text = result.changes[PROVIDER].decode()
    assert "deprecated: 2026-11-25\n    retired: 2026-12-15\n" in text


def test_a_model_named_as_successor_cannot_be_deprecated_or_retired_under_it(files: Files) -> None:
    deprecated = {**files, **deprecate(files, "acme", "big-model", "tiny", now=NOW).changes}
    with pytest.raises(CatalogInvalid, match="successor 'tiny' of model 'big-model' is deprecated"):
        deprecate(deprecated, "acme", "tiny", now=NOW)


def test_adopt_copies_cost_and_speed_into_the_hints_and_keeps_the_rationale(files: Files) -> None:
    result = adopt(files, "acme", "qwen-coder", "code", now=NOW)
    assert (
        b"    hints: {context_window: 131072, speed: fast, quality: high, cost: free}\n"
        in (result.changes[PROVIDER])
    )
    suggestions = result.changes[SUGGESTIONS].decode()
    assert "Strong open code model, free on Acme; scores well on LiveCodeBench" in suggestions


def test_adopt_writes_cost_and_speed_as_hints_when_the_suggestion_has_none(files: Files) -> None:
    text = (
        files[SUGGESTIONS]
        .decode()
        .replace(
            "    rationale: 'It''s also fine for chat.'\n",
            "    rationale: 'It''s also fine for chat.'\n    cost: free-quota\n    speed: medium\n",
        )
    )
    result = adopt({**files, SUGGESTIONS: text.encode()}, "acme", "qwen-coder", "chat", now=NOW)
    assert b"    hints: {speed: medium, cost: free-quota}\n" in result.changes[PROVIDER]


def test_adopting_into_an_empty_models_list_keeps_the_comment_above_the_next_key(files: Files) -> None:
    beta = "catalog/providers/beta.yaml"
    head = files[beta].decode().split("models:")[0]
    after = "# Free plan, per key.\nlimits: {requests_per_minute: 9}\n"
    provider = head + "models: []  # none adopted yet\n" + after
    suggestion = (
        "# yaml-language-server: $schema=../../schemas/suggestions.schema.json\n"
        "suggestions:\n  - model: beta-code\n    workload: code\n    rationale: Fast.\n"
        "    status: pending\n    created_at: 2026-11-20T09:00:00Z\n    updated_at: 2026-11-20T09:00:00Z\n"
    )
    given = {**files, beta: provider.encode(), "catalog/suggestions/beta.yaml": suggestion.encode()}
    result = adopt(given, "beta", "beta-code", now=NOW)
    assert result.changes[beta].decode() == head + (
        "models:     # none adopted yet\n"
        "  - id: beta-code\n    workloads: [code]\n    status: active\n    added: 2026-11-25\n" + after
    )
