"""Candidate lists kept as runs of one provider's models: the same candidates, in the same
order, as the compiled lists they come from, made only when reached."""

from __future__ import annotations

import pytest

from freegin_gitops.core.compiled_catalog import Candidate, CandidateList, runs_of

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
