"""The attempt policy of a routed call: fallback, cool-downs, the call limit, the failure sentence."""

from __future__ import annotations

import pytest

from freegin_gitops.core.compiled_catalog import Candidate
from freegin_gitops.core.route_attempts import (
    Attempt,
    Cooldown,
    RouteAttempts,
    cooldown_after,
    failure_sentence,
)
from freegin_gitops.core.route_plan import Plan, PlannedCandidate
from freegin_gitops.errors import ProviderError

NOW = 1_800_000_000.0


def error(
    kind: str = "server_error", retry_after: float | None = None, status: int | None = 500
) -> ProviderError:
    return ProviderError(
        f"p/m: {kind}", provider="p", model="m", kind=kind, status_code=status, retry_after_s=retry_after
    )


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (None, Cooldown(NOW + 30, "HTTP 429")),
        (60.0, Cooldown(NOW + 60, "HTTP 429, Retry-After 60s")),
        (0.0, Cooldown(NOW, "HTTP 429, Retry-After 0s")),
        (10 * 86400.0, Cooldown(NOW + 86400, "HTTP 429, Retry-After 864000s")),  # at most a day
    ],
)
def test_a_429_cools_its_provider_down(retry_after: float | None, expected: Cooldown) -> None:
    assert cooldown_after(error("rate_limited", retry_after, 429), NOW) == expected


def daily(retry_after: float | None = None, basis: str | None = None) -> ProviderError:
    return ProviderError(
        "p/m: rate limited",
        provider="p",
        kind="rate_limited",
        status_code=429,
        retry_after_s=retry_after,
        wait_basis=basis,
        daily_quota=True,
    )


def test_a_reset_header_is_named_in_the_reason() -> None:
    got = ProviderError(
        "x",
        provider="p",
        kind="rate_limited",
        retry_after_s=179.56,
        wait_basis="x-ratelimit-reset-requests 2m59.56s",
    )
    assert cooldown_after(got, NOW) == Cooldown(NOW + 179.56, "HTTP 429, x-ratelimit-reset-requests 2m59.56s")


def test_a_daily_quota_429_cools_down_until_the_day_resets() -> None:
    reset = NOW + 5 * 3600
    spent = "HTTP 429: the day's quota is spent"
    # Gemini's short retryDelay on a spent day is not believed: the day has to reset
    assert cooldown_after(daily(36.0, "retryDelay 36s"), NOW, reset) == Cooldown(reset, spent)
    assert cooldown_after(daily(), NOW, reset) == Cooldown(reset, spent)
    # a provider that names a later time is believed (at most a day)
    assert cooldown_after(daily(8 * 3600.0, "X-RateLimit-Reset 1"), NOW, reset) == Cooldown(
        NOW + 8 * 3600, spent + ", X-RateLimit-Reset 1"
    )
    # a rolling day: the time the provider gave, or an hour
    assert cooldown_after(daily(179.56, "x-ratelimit-reset-requests 2m59.56s"), NOW, None) == Cooldown(
        NOW + 179.56, spent + ", x-ratelimit-reset-requests 2m59.56s"
    )
    assert cooldown_after(daily(), NOW, None) == Cooldown(NOW + 3600, spent)


def test_a_daily_quota_wait_that_ends_when_the_day_resets_is_the_days_reset() -> None:
    """The provider's time and the day's reset agree: the cool-down is the day's, and its reason
    does not name a header that changed nothing."""
    reset = NOW + 5 * 3600
    got = cooldown_after(daily(5 * 3600.0, "X-RateLimit-Reset 1"), NOW, reset)
    assert got == Cooldown(reset, "HTTP 429: the day's quota is spent")
    # a second later than the reset, the provider's time is believed, and named
    later = cooldown_after(daily(5 * 3600.0 + 1, "X-RateLimit-Reset 1"), NOW, reset)
    assert later == Cooldown(reset + 1, "HTTP 429: the day's quota is spent, X-RateLimit-Reset 1")


@pytest.mark.parametrize("kind", ["server_error", "timeout", "connection", "auth", "bad_answer", "error"])
def test_other_failures_move_on_without_a_cool_down(kind: str) -> None:
    assert cooldown_after(error(kind, retry_after=60.0), NOW) is None


def plan(*entries: tuple[str, str, str | None]) -> Plan:
    return Plan("chat", tuple(PlannedCandidate(Candidate(p, m, "catalog"), s) for p, m, s in entries), 0)


def never(_candidate: Candidate) -> str | None:
    return None


def test_skipped_candidates_are_recorded_and_not_yielded() -> None:
    seen: list[Attempt] = []
    attempts = RouteAttempts(plan(("a", "1", "no key"), ("b", "2", None)), 8, seen.append)
    assert [c.model for c in attempts.to_call(never)] == ["2"]
    assert [(a.provider, a.outcome, a.reason) for a in attempts.attempts] == [("a", "skipped", "no key")]
    assert seen == attempts.attempts


def test_a_usable_candidate_is_checked_again_when_its_turn_comes() -> None:
    attempts = RouteAttempts(plan(("a", "1", None), ("a", "2", None), ("b", "3", None)), 8)
    cooling: set[str] = set()
    called = []
    for candidate in attempts.to_call(lambda c: "cooling down" if c.provider in cooling else None):
        called.append(candidate.model)
        cooling.add(candidate.provider)  # as after a 429
        attempts.failed(candidate, error("rate_limited", 5.0, 429), 1.0, NOW)
    assert called == ["1", "3"]
    assert [a.outcome for a in attempts.attempts] == ["failed", "skipped", "failed"]


def test_no_more_calls_than_max_calls() -> None:
    attempts = RouteAttempts(plan(*[("p", str(i), None) for i in range(5)]), 2)
    called = []
    for candidate in attempts.to_call(never):
        called.append(candidate.model)
        attempts.failed(candidate, error(), 1.0, NOW)
    assert called == ["0", "1"] and attempts.calls == 2


def test_skips_do_not_count_as_calls() -> None:
    attempts = RouteAttempts(plan(("a", "1", "no key"), ("a", "2", "no key"), ("b", "3", None)), 1)
    assert [c.model for c in attempts.to_call(never)] == ["3"]


def test_failed_and_answered_attempts_carry_the_facts() -> None:
    attempts = RouteAttempts(plan(("a", "1", None), ("b", "2", None)), 8)
    first, second = Candidate("a", "1", "catalog"), Candidate("b", "2", "catalog")
    assert attempts.failed(first, error("server_error", status=503), 12.5, NOW) is None
    answered = attempts.answered(second, 200, 40.0)
    assert attempts.attempts == [
        Attempt("a", "1", "catalog", "failed", "p/m: server_error", "server_error", 503, 12.5),
        Attempt("b", "2", "catalog", "answered", None, None, 200, 40.0),
    ]
    assert answered is attempts.attempts[-1] and attempts.calls == 2


def test_failed_returns_the_cool_down_of_a_429() -> None:
    attempts = RouteAttempts(plan(("a", "1", None)), 8)
    got = attempts.failed(Candidate("a", "1", "catalog"), error("rate_limited", 7.0, 429), 1.0, NOW)
    assert got == Cooldown(NOW + 7, "HTTP 429, Retry-After 7s")


def skipped(provider: str, reason: str) -> Attempt:
    return Attempt(provider, "m", "catalog", "skipped", reason)


def failed(provider: str, reason: str | None) -> Attempt:
    return Attempt(provider, "m", "catalog", "failed", reason, "server_error", 500, 1.0)


def test_the_failure_sentence_names_what_was_tried_and_skipped() -> None:
    attempts = [
        failed("a", "a/m: HTTP 500"),
        skipped("b", "no API key: B is not set"),
        skipped("b", "another reason"),  # one provider, named once, with its first reason
        failed("c", None),
        skipped("d", "cooling down"),
    ]
    assert failure_sentence(plan(), attempts) == (
        "no candidate answered for workload 'chat': tried a/m: HTTP 500; c/m; "
        "skipped b (no API key: B is not set), d (cooling down)"
    )


def test_the_failure_sentence_counts_skipped_providers_beyond_those_shown() -> None:
    attempts = [skipped(f"p{i}", "no key") for i in range(11)]
    sentence = failure_sentence(plan(), attempts)
    assert sentence == (
        "no candidate answered for workload 'chat': skipped "
        + ", ".join(f"p{i} (no key)" for i in range(8))
        + " and 3 more provider(s)"
    )
    assert failure_sentence(plan(), attempts[:8]).endswith("p7 (no key)")
    assert failure_sentence(plan(), attempts[:9], shown=9).endswith("p8 (no key)")


def test_the_failure_sentence_with_only_failures() -> None:
    assert failure_sentence(plan(), [failed("a", "a/m: timeout")]) == (
        "no candidate answered for workload 'chat': tried a/m: timeout"
    )


def test_the_failure_sentence_of_an_empty_plan() -> None:
    assert failure_sentence(plan(), []) == "no candidate for workload 'chat': the catalog has none"
    assert RouteAttempts(plan(), 8).failure_sentence() == failure_sentence(plan(), [])


def test_an_attempt_as_json() -> None:
    attempt = Attempt("a", "1", "catalog", "failed", "a/1: boom", "server_error", 500, 12.345)
    assert attempt.as_json() == {
        "provider": "a",
        "model": "1",
        "origin": "catalog",
        "outcome": "failed",
        "reason": "a/1: boom",
        "error_kind": "server_error",
        "status_code": 500,
        "latency_ms": 12.3,
    }
    assert skipped("b", "no key").as_json()["latency_ms"] is None


def test_one_provider_beyond_those_shown_is_counted() -> None:
    attempts = [skipped(f"p{i}", "no key") for i in range(9)]
    assert failure_sentence(plan(), attempts).endswith("p7 (no key) and 1 more provider(s)")
