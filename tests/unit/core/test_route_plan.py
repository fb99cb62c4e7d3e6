"""Planning a routed call: reachability, skip reasons, the attempt limit, connections (pure)."""

from __future__ import annotations

import pytest

from freegin_gitops.core.compiled_catalog import Candidate
from freegin_gitops.core.route_plan import (
    connection,
    cooling,
    plan_candidates,
    plan_route,
    skip_reason,
    unreachable,
)
from freegin_gitops.errors import NotFound
from tests.support.compiled import api, compiled_catalog

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z

CATALOG = compiled_catalog(
    {
        "alpha": api(key_env="ALPHA_KEY"),
        "beta": api(key_env="BETA_KEY"),
        "local": api(),
        "cf": api(base_url="https://api.example/${ACCOUNT_ID}/v1", key_env="CF_KEY"),
        "anthro": api(style="anthropic"),
    },
    [("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("local", "l1"), ("cf", "c1"), ("anthro", "x1")],
    max_attempts=3,
)
ENV = {"ALPHA_KEY": "ka", "BETA_KEY": "kb", "CF_KEY": "kc", "ACCOUNT_ID": "acct"}


@pytest.mark.parametrize(
    ("provider", "environ", "reason"),
    [
        ("alpha", ENV, None),
        ("local", {}, None),  # no key variable: none needed
        ("alpha", {}, "no API key: ALPHA_KEY is not set"),
        ("alpha", {"ALPHA_KEY": ""}, "no API key: ALPHA_KEY is not set"),
        ("cf", {"CF_KEY": "kc"}, "ACCOUNT_ID is not set (the base URL needs it)"),
        ("cf", {"CF_KEY": "kc", "ACCOUNT_ID": ""}, "ACCOUNT_ID is not set (the base URL needs it)"),
        ("cf", {"ACCOUNT_ID": "acct"}, "no API key: CF_KEY is not set"),
        ("anthro", ENV, "API style 'anthropic' is not supported"),
        ("nowhere", ENV, "unknown provider 'nowhere' (not in the catalog)"),
    ],
)
def test_unreachable(provider: str, environ: dict[str, str], reason: str | None) -> None:
    assert unreachable(CATALOG, provider, environ) == reason


def test_cooling_until_the_cool_down_ends() -> None:
    cooldowns = {("alpha", None): (NOW + 60, "HTTP 429, Retry-After 60s")}
    a1 = Candidate("alpha", "a1", "catalog")
    assert cooling(cooldowns, a1, NOW) == (
        "cooling down until 2027-01-15T08:01:00Z (HTTP 429, Retry-After 60s)"
    )
    assert cooling(cooldowns, a1, NOW + 60) is None  # ends exactly then
    assert cooling(cooldowns, Candidate("beta", "b1", "catalog"), NOW) is None


def test_a_model_cools_down_alone_and_the_later_cool_down_is_named() -> None:
    cooldowns = {
        ("alpha", "a1"): (NOW + 180, "HTTP 429, x-ratelimit-reset-requests 2m59.56s"),
        ("beta", None): (NOW + 30, "HTTP 429"),
        ("beta", "b1"): (NOW + 10, "HTTP 429 for b1"),
    }
    assert cooling(cooldowns, Candidate("alpha", "a1", "catalog"), NOW) == (
        "cooling down until 2027-01-15T08:03:00Z (HTTP 429, x-ratelimit-reset-requests 2m59.56s)"
    )
    assert cooling(cooldowns, Candidate("alpha", "a2", "catalog"), NOW) is None
    assert cooling(cooldowns, Candidate("beta", "b1", "catalog"), NOW) == (
        "cooling down until 2027-01-15T08:00:30Z (HTTP 429)"
    )
    assert cooling(cooldowns, Candidate("beta", "b1", "catalog"), NOW + 30) is None


def test_skip_reason_says_unreachable_before_cooling() -> None:
    cooldowns = {("alpha", None): (NOW + 60, "HTTP 429")}
    alpha = Candidate("alpha", "a1", "catalog")
    assert skip_reason(CATALOG, alpha, {}, cooldowns, NOW) == "no API key: ALPHA_KEY is not set"
    assert skip_reason(CATALOG, alpha, ENV, cooldowns, NOW).startswith("cooling down until ")
    assert skip_reason(CATALOG, alpha, ENV, cooldowns, NOW + 61) is None


def entries(plan) -> list[tuple[str, str | None]]:
    return [(e.candidate.model, e.skip) for e in plan.entries]


def test_the_plan_stops_after_max_attempts_usable_candidates() -> None:
    plan = plan_route(CATALOG, "chat", None, None, ENV, {}, NOW)
    assert entries(plan) == [("a1", None), ("a2", None), ("b1", None)]
    assert plan.not_reached == 3 and plan.workload == "chat"


def test_skipped_candidates_do_not_count_towards_max_attempts() -> None:
    plan = plan_route(CATALOG, "chat", None, None, {"BETA_KEY": "kb"}, {}, NOW)
    assert entries(plan) == [
        ("a1", "no API key: ALPHA_KEY is not set"),
        ("a2", "no API key: ALPHA_KEY is not set"),
        ("b1", None),
        ("l1", None),
        ("c1", "no API key: CF_KEY is not set"),
        ("x1", "API style 'anthropic' is not supported"),
    ]
    assert plan.not_reached == 0


def test_show_all_lists_every_candidate() -> None:
    plan = plan_route(CATALOG, "chat", None, None, ENV, {}, NOW, show_all=True)
    assert [m for m, _ in entries(plan)] == ["a1", "a2", "b1", "l1", "c1", "x1"]
    assert plan.not_reached == 0


def test_a_cooling_provider_is_skipped_with_its_reason() -> None:
    plan = plan_route(CATALOG, "chat", None, None, ENV, {("alpha", None): (NOW + 5, "HTTP 429")}, NOW)
    assert [s for _, s in entries(plan)][:2] == ["cooling down until 2027-01-15T08:00:05Z (HTTP 429)"] * 2
    assert [m for m, s in entries(plan) if s is None] == ["b1", "l1", "c1"]


def test_plan_candidates_keeps_the_given_order() -> None:
    given = [Candidate("local", "l1", "override"), Candidate("alpha", "a9", "override")]
    plan = plan_candidates(CATALOG, "refresh", given, ENV, {}, NOW, show_all=False)
    assert plan.entries[0].candidate == given[0] and plan.entries[1].usable
    assert plan.workload == "refresh"


def test_a_model_that_is_no_candidate_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        plan_route(CATALOG, "chat", None, "zz", ENV, {}, NOW)
    assert str(caught.value) == (
        "model 'zz' is not a candidate for 'chat'; name its provider with --provider to call it anyway"
    )


def test_provider_and_model_name_one_candidate_even_outside_the_catalog() -> None:
    plan = plan_route(CATALOG, "chat", "beta", "new-model", ENV, {}, NOW)
    assert entries(plan) == [("new-model", None)]


def test_connection_fills_the_base_url_and_takes_the_key() -> None:
    catalog = compiled_catalog(
        {
            "cf": api(
                base_url="https://api.example/${ACCOUNT_ID}/v1",
                key_env="CF_KEY",
                headers={"X-Title": "freegin-ai"},
                timeout_s=12.5,
            ),
            "local": api(),
        },
        [("cf", "c1")],
        timeout_s=40.0,
    )
    made = connection(catalog, "cf", {"CF_KEY": "kc", "ACCOUNT_ID": "acct"})
    assert made._asdict() == {
        "provider": "cf",
        "base_url": "https://api.example/acct/v1",
        "api_key": "kc",
        "headers": {"X-Title": "freegin-ai"},
        "timeout_s": 12.5,
    }
    assert connection(catalog, "cf", {"ACCOUNT_ID": "a"}, timeout_s=3.0).timeout_s == 3.0
    local = connection(catalog, "local", {"CF_KEY": "kc"})
    assert (local.api_key, local.timeout_s, local.headers) == (None, 40.0, {})
    with pytest.raises(NotFound, match="unknown provider 'gone'"):
        connection(catalog, "gone", {})


def test_a_base_url_variable_that_smuggles_in_credentials_makes_the_provider_unreachable() -> None:
    environ = {**ENV, "ACCOUNT_ID": "acct?api_key=secret"}
    reason = unreachable(CATALOG, "cf", environ)
    assert reason is not None and reason.startswith("the base URL would carry credentials (")
    assert "once ${ACCOUNT_ID} is filled in" in reason


def spent_or_not(spent: set[str]):
    from freegin_gitops.core.budgets import Limits, plan_budget
    from freegin_gitops.core.usage import WindowUsage

    asked: list[str] = []

    def budget_of(candidate: Candidate):
        asked.append(candidate.model)
        limits = Limits.from_mapping({"requests_per_day": 10})
        used = 10 if candidate.model in spent else 1
        return plan_budget(candidate.provider, candidate.model, limits, limits, NOW).state(
            [WindowUsage(used, 0, NOW - 5), WindowUsage(used, 0, NOW - 5)]
        )

    return budget_of, asked


def test_a_spent_budget_skips_the_candidate_and_the_next_is_tried() -> None:
    budget_of, _ = spent_or_not({"a1"})
    plan = plan_route(CATALOG, "chat", None, None, ENV, {}, NOW, budget_of=budget_of)
    assert entries(plan)[0] == ("a1", "budget spent: 10/10 requests today, resets 00:00 UTC")
    assert [m for m, s in entries(plan) if s is None] == ["a2", "b1", "l1"]
    assert plan.entries[1].budget is not None and plan.entries[1].budget.skip_reason() is None


def test_budgets_are_counted_only_for_candidates_that_could_be_called() -> None:
    budget_of, asked = spent_or_not(set())
    plan_route(CATALOG, "chat", None, None, {"BETA_KEY": "kb"}, {}, NOW, show_all=True, budget_of=budget_of)
    assert asked == ["b1", "l1"]


def test_plan_candidates_stops_at_max_attempts_unless_all_are_shown() -> None:
    given = [Candidate("local", f"l{i}", "override") for i in range(5)]
    assert len(plan_candidates(CATALOG, "refresh", given, ENV, {}, NOW, show_all=False).entries) == 3
    assert len(plan_candidates(CATALOG, "refresh", given, ENV, {}, NOW, show_all=True).entries) == 5
