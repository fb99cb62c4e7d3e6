"""Where the running freegin-ai came from: pip's record of a git install, the build record in a
wheel, a source checkout, or only the version."""

from __future__ import annotations

from freegin_gitops.adapters.tool_source import DEFAULT_REPOSITORY, from_records, tool_source
from freegin_gitops.core.starter import ToolSource
from tests.helpers import ROOT, git

A = "a" * 40
B = "b" * 40
C = "c" * 40
CANON = "https://github.com/freegin-ai/freegin-ai"


def vcs(url: str, commit: str = A) -> dict[str, object]:
    return {"url": url, "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "main"}}


def test_a_git_install_is_pinned_to_its_repository_and_commit() -> None:
    found = from_records(vcs("https://github.com/someone/fork"), {"commit": B}, (C, False), CANON, "1.0")
    assert found == ToolSource("1.0", "https://github.com/someone/fork", A)


def test_a_git_install_from_a_path_or_over_ssh_pins_the_public_repository() -> None:
    for url in ("file:///home/me/freegin-ai", "ssh://git@github.com/freegin-ai/freegin-ai.git"):
        assert from_records(vcs(url), {}, (None, None), CANON, "1.0").repository == CANON


def test_the_build_record_of_a_wheel() -> None:
    found = from_records(
        {"url": "file:///src", "dir_info": {}}, {"commit": B, "dirty": True}, (C, False), CANON
    )
    assert (found.commit, found.dirty) == (B, True)


def test_a_source_checkout() -> None:
    found = from_records({"dir_info": {"editable": True}}, {}, (C, True), CANON)
    assert (found.commit, found.dirty, found.repository) == (C, True, CANON)


def test_nothing_known_leaves_the_version_alone() -> None:
    assert from_records({}, {}, (None, None), CANON, "2.0") == ToolSource("2.0", CANON)


def test_malformed_records_are_ignored() -> None:
    records = ({"vcs_info": {"vcs": "git", "commit_id": "main"}}, {"commit": "HEAD"}, ("xyz", False))
    assert from_records(*records, CANON).commit is None


def test_this_checkout_reports_its_head() -> None:
    """The tests run from an editable install of this repository."""
    source = tool_source()
    assert (source.commit, source.repository) == (git(ROOT, "rev-parse", "HEAD").strip(), DEFAULT_REPOSITORY)
