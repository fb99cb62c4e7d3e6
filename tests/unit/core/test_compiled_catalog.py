"""The compiled catalog as the router reads it: its source, settings, limits and providers, read
once and kept; and candidate lists kept as runs of one provider's models: the same candidates, in the same
order, as the compiled lists they come from, made only when reached."""

from __future__ import annotations

import pytest

from freegin_gitops.core.budgets import NO_LIMITS
from freegin_gitops.core.compiled_catalog import Candidate, CandidateList, CompiledCatalog, runs_of
from tests.support.compiled import api, compiled_catalog

ENTRIES = [
    {"provider": "a", "model": "1", "hints": {}},
    {"provider": "a", "model": "2"},
    {"provider": "b", "model": "3"},
    {"provider": "a", "model": "4"},  # a provider may come back (defaults keep the author's order)
    {"provider": "c", "model": "5"},
    {"provider": "c", "model": "6"},
]
EXPECTED = [Candidate(e["provider"], e["model"], "catalog") for e in ENTRIES]


def test_runs_group_consecutive_models_of_one_provider_in_order() -> None:
    assert runs_of(ENTRIES) == [("a", ["1", "2"]), ("b", ["3"]), ("a", ["4"]), ("c", ["5", "6"])]
    assert runs_of([]) == []


def test_a_candidate_list_is_its_compiled_list() -> None:
    made = CandidateList(runs_of(ENTRIES), "catalog")
    assert (len(made), list(made)) == (len(EXPECTED), EXPECTED)
    assert [made[i] for i in range(len(made))] == EXPECTED
    assert [made[-i] for i in range(1, len(made) + 1)] == EXPECTED[::-1]
    assert made[1:5] == tuple(EXPECTED[1:5])
    assert made[::2] == tuple(EXPECTED[::2])
    assert made.of_provider("a") == tuple(c for c in EXPECTED if c.provider == "a")
    assert made.of_provider("nobody") == ()


@pytest.mark.parametrize("index", [6, -7, 100])
def test_an_index_past_the_end_is_an_index_error(index: int) -> None:
    with pytest.raises(IndexError):
        CandidateList(runs_of(ENTRIES), "catalog")[index]


def test_an_empty_list() -> None:
    empty = CandidateList([], "pending")
    assert (len(empty), list(empty), empty[0:3], bool(empty)) == (0, [], (), False)


# -- the compiled catalog's accessors ---------------------------------------------------------------


def test_source_and_settings_are_read_from_the_document() -> None:
    cat = compiled_catalog({"a": api()}, [("a", "1")])
    cat.document["source"].update(content_sha256="ab" * 32, commit="c0ffee")
    cat.document["refresh"] = {"models_per_provider": 3}
    assert (cat.content_sha256, cat.commit, cat.refresh) == ("ab" * 32, "c0ffee", {"models_per_provider": 3})
    assert cat.workload("chat") == {"description": "chat"}
    assert cat.workload("nothing") is None


@pytest.mark.parametrize("commit", [None, ""])
def test_a_catalog_compiled_outside_git_has_no_commit(commit: str | None) -> None:
    cat = compiled_catalog({"a": api()}, [("a", "1")])
    cat.document["source"]["commit"] = commit
    assert cat.commit is None


def test_a_providers_limits_and_a_models_own_which_inherit_its_day_resets() -> None:
    cat = compiled_catalog(
        {"a": api()},
        [("a", "1")],
        limits={"a": {"requests_per_day": 1000, "day_resets": "pacific-midnight"}},
        model_limits={("a", "1"): {"requests_per_minute": 30}},
    )
    provider = cat.limits("a")
    assert (dict(provider.caps), provider.day_resets) == ({("requests", "day"): 1000}, "pacific-midnight")
    own = cat.limits("a", "1")
    assert (dict(own.caps), own.day_resets) == ({("requests", "minute"): 30}, "pacific-midnight")
    assert cat.limits("a", "2") is NO_LIMITS  # a model without limits of its own
    assert cat.limits("nobody") is NO_LIMITS
    assert cat.limits("nobody", "1") is NO_LIMITS


def test_limits_asked_twice_are_the_same_and_read_once() -> None:
    cat = compiled_catalog({"a": api()}, [("a", "1")], limits={"a": {"requests_per_day": 5}})
    first = cat.limits("a")
    cat.document["providers"]["a"]["limits"] = {"requests_per_day": 99}
    assert cat.limits("a") is first
    assert dict(cat.limits("a").caps) == {("requests", "day"): 5}


def test_a_provider_asked_twice_is_read_once() -> None:
    cat = compiled_catalog({"a": api(headers={"X-Title": "freegin"})}, [("a", "1")])
    first = cat.provider("a")
    assert first is not None and first.headers == (("X-Title", "freegin"),)
    cat.document["providers"]["a"]["api"]["headers"] = {}
    assert cat.provider("a") is first
    assert cat.provider("nobody") is None


def test_a_cached_view_gives_its_lists_as_runs_already_made() -> None:
    """The router's cached view (compiled_store) keeps active, pending and defaults as runs and
    the deprecated list as entries; a workload it does not hold has no candidates."""
    document = compiled_catalog({"a": api(), "b": api()}, []).document
    view = {
        "chat": {
            "active": [("a", ["1", "2"]), ("b", ["3"])],
            "pending": [],
            "defaults": [("b", ["9"])],
            "deprecated": [{"provider": "a", "model": "old", "deprecated": "2026-11-01"}],
        }
    }
    cat = CompiledCatalog(document, lists=view)
    lists = cat.candidates("chat")
    assert lists is not None
    assert list(lists.active) == [
        Candidate("a", "1", "catalog"),
        Candidate("a", "2", "catalog"),
        Candidate("b", "3", "catalog"),
    ]
    assert list(lists.deprecated) == [Candidate("a", "old", "deprecated")]
    assert list(lists.defaults) == [Candidate("b", "9", "default")]
    assert cat.runs("chat") == {
        "active": [("a", ["1", "2"]), ("b", ["3"])],
        "deprecated": [("a", ["old"])],
        "pending": [],
        "defaults": [("b", ["9"])],
    }
    assert cat.deprecation("a", "old") == ("2026-11-01", None, None)
    assert cat.candidates("code") is None
    assert cat.runs("code") is None
    assert cat.of_provider("code", "active", "a") == ()


def test_a_compiled_document_gives_its_lists_as_runs() -> None:
    cat = compiled_catalog({"a": api(), "b": api()}, [("a", "1"), ("a", "2"), ("b", "3")])
    runs = cat.runs("chat")
    assert runs is not None and runs["active"] == [("a", ["1", "2"]), ("b", ["3"])]
    assert cat.of_provider("chat", "active", "a") == (
        Candidate("a", "1", "catalog"),
        Candidate("a", "2", "catalog"),
    )
