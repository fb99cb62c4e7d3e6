"""Where the running freegin-ai came from: pip's record of a git install, the build record in a
wheel, a source checkout, or only the version."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from freegin_gitops.adapters.tool_source import (
    DEFAULT_REPOSITORY,
    canonical,
    checkout_of,
    direct_url,
    from_records,
    tool_source,
)
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


@pytest.mark.parametrize("suffix", ["zip", "tar.gz"])
def test_an_install_from_githubs_archive_of_a_commit_is_pinned_to_it(suffix: str) -> None:
    record = {"url": f"https://github.com/someone/fork/archive/{A}.{suffix}", "archive_info": {}}
    assert from_records(record, {}, (None, None), CANON, "1.0") == ToolSource(
        "1.0", "https://github.com/someone/fork", A
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/someone/fork/archive/refs/heads/main.zip",  # a branch: it moves
        f"https://github.com/someone/fork/archive/{A[:12]}.zip",
        f"https://example.org/someone/fork/archive/{A}.zip",
        f"https://github.com/someone/fork/archive/{A}.zip?x=1",
    ],
)
def test_an_archive_that_names_no_commit_of_github_pins_nothing(url: str) -> None:
    assert from_records({"url": url, "archive_info": {}}, {}, (None, None), CANON).commit is None


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


def test_only_a_build_record_or_a_checkout_can_be_dirty() -> None:
    found = [
        from_records(vcs("https://github.com/a/b"), {}, (None, None), CANON).dirty,
        from_records({}, {}, (None, None), CANON).dirty,
        from_records({}, {"commit": B}, (None, None), CANON).dirty,
    ]
    assert found == [False, False, False]


def dist_in(folder: Path, metadata_text: str, direct: str | None = None) -> metadata.PathDistribution:
    info = folder / "freegin_ai-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata_text)
    if direct is not None:
        (info / "direct_url.json").write_text(direct)
    return metadata.PathDistribution(info)


META = "Metadata-Version: 2.1\nName: freegin-ai\nVersion: 0.1.0\n"


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        (["Source, https://github.com/fork/freegin-ai.git"], "https://github.com/fork/freegin-ai"),
        (
            ["Homepage, https://example.org", "source , https://github.com/fork/x/"],
            "https://github.com/fork/x",
        ),
        (["Source, git@github.com:fork/x.git"], DEFAULT_REPOSITORY),
        (["Docs, https://docs.example"], DEFAULT_REPOSITORY),
        ([], DEFAULT_REPOSITORY),
    ],
)
def test_the_repository_comes_from_the_source_url_of_the_metadata(
    isolated: Path, urls: list[str], expected: str
) -> None:
    text = META + "".join(f"Project-URL: {u}\n" for u in urls)
    assert canonical(dist_in(isolated, text)) == expected


def test_no_distribution_means_the_default_repository() -> None:
    assert (canonical(None), direct_url(None)) == (DEFAULT_REPOSITORY, {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"url": "https://x", "vcs_info": {"vcs": "git"}}',
            {"url": "https://x", "vcs_info": {"vcs": "git"}},
        ),
        ("[1, 2]", {}),
        ("not json", {}),
        (None, {}),
    ],
)
def test_pips_record_is_read_when_it_is_a_json_object(
    isolated: Path, text: str | None, expected: dict
) -> None:
    assert direct_url(dist_in(isolated, META, text)) == expected


def test_a_checkout_needs_both_the_project_file_and_git(isolated: Path) -> None:
    """A virtualenv inside someone's repository is not a checkout of freegin-ai."""
    repo = isolated / "theirs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "project").mkdir()
    (repo / "project" / "pyproject.toml").write_text("[project]\n")
    git(repo, "add", "project")
    git(repo, "commit", "-q", "-m", "a project in someone's repository")
    assert [checkout_of(repo), checkout_of(repo / "project")] == [(None, None), (None, None)]
    (repo / "pyproject.toml").write_text("[project]\n")
    git(repo, "add", "pyproject.toml")  # now the repository itself is the checkout
    git(repo, "commit", "-q", "-m", "x")
    assert checkout_of(repo) == (git(repo, "rev-parse", "HEAD").strip(), False)
