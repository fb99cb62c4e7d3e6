"""Limit corrections from recorded rate-limit headers (core.limit_corrections, pure): which header
is which limit, the model's own limit before its provider's, provider limits only when every
model agrees, unresolved reports instead of guesses, old and retired evidence ignored."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core.catalog import ApiSettings, ModelEntry, Provider
from freegin_gitops.core.limit_corrections import MAX_AGE_DAYS, LimitCorrection, limit_findings
from freegin_gitops.core.usage import RateLimitSeen, RateLimitValue, iso_utc

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC).timestamp()
SEEN = iso_utc(NOW - 3600)  # 11:00 UTC


def model(model_id: str, status: str = "active", **limits: int) -> ModelEntry:
    return ModelEntry(model_id, ("chat",), status, dt.date(2026, 1, 1), limits=limits)  # type: ignore[arg-type]


def provider(*models: ModelEntry, **limits: object) -> Provider:
    return Provider("groq", "Groq", ApiSettings("openai", "https://x/v1"), models, limits=limits)


def seen(
    model_id: str, name: str, limit: int | None, ts: str = SEEN, provider_id: str = "groq"
) -> RateLimitSeen:
    return RateLimitSeen(provider_id, model_id, RateLimitValue(name, limit, 0), ts)


def corrections(prov: Provider, *values: RateLimitSeen) -> list[tuple[str | None, str, int, int]]:
    found = limit_findings(prov, values, NOW)
    return [(c.model, c.key, c.catalog, c.reported) for c in found.corrections]


def unresolved(prov: Provider, *values: RateLimitSeen) -> list[str]:
    return [u.why for u in limit_findings(prov, values, NOW).unresolved]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("requests-minute", "requests_per_minute"),
        ("requests-hour", "requests_per_hour"),
        ("requests-day", "requests_per_day"),
        ("tokens-minute", "tokens_per_minute"),
        ("tokens-hour", "tokens_per_hour"),
        ("tokens-day", "tokens_per_day"),
    ],
)
def test_a_header_that_names_its_window_corrects_that_limit(name: str, key: str) -> None:
    # all six declared, far apart, so that only the named one can be meant
    own = {"requests_per_minute": 10, "requests_per_hour": 100, "requests_per_day": 1000}
    own |= {"tokens_per_minute": 10_000, "tokens_per_hour": 100_000, "tokens_per_day": 1_000_000}
    prov = provider(model("m", **own))
    doubled = own[key] * 2 if key.endswith("day") else own[key] + 1
    assert corrections(prov, seen("m", name, doubled)) == [("m", key, own[key], doubled)]


def test_the_evidence_names_the_header_the_model_and_when() -> None:
    prov = provider(model("m", requests_per_day=1000))
    (found,) = limit_findings(prov, [seen("m", "requests-day", 14400)], NOW).corrections
    assert found == LimitCorrection(
        "groq",
        "m",
        "requests_per_day",
        1000,
        14400,
        ("x-ratelimit-limit-requests-day: 14400 on m, seen 2026-11-30 11:00 UTC",),
    )
    assert found.where == "groq/m"


def test_a_value_that_agrees_proposes_nothing() -> None:
    prov = provider(model("m", requests_per_day=1000))
    assert limit_findings(prov, [seen("m", "requests-day", 1000)], NOW).corrections == ()


def test_a_limit_the_catalog_does_not_declare_is_not_added() -> None:
    prov = provider(model("m", requests_per_day=1000))
    assert corrections(prov, seen("m", "tokens-minute", 6000), seen("m", "requests-minute", 30)) == []


def test_the_models_own_limit_comes_before_its_providers() -> None:
    prov = provider(model("own", requests_per_day=1000), model("shared"), requests_per_day=500)
    assert corrections(prov, seen("own", "requests-day", 2000)) == [("own", "requests_per_day", 1000, 2000)]
    assert corrections(prov, seen("shared", "requests-day", 2000)) == [(None, "requests_per_day", 500, 2000)]


def test_a_provider_limit_is_corrected_only_when_every_model_reports_the_same() -> None:
    prov = provider(model("a"), model("b"), requests_per_day=1000)
    agree = (seen("a", "requests-day", 14400), seen("b", "requests-day", 14400))
    assert corrections(prov, *agree) == [(None, "requests_per_day", 1000, 14400)]
    (found,) = limit_findings(prov, agree, NOW).corrections
    assert len(found.evidence) == 2 and found.where == "groq (all models)"
    split = (seen("a", "requests-day", 14400), seen("b", "requests-day", 1000))
    assert corrections(prov, *split) == []
    assert unresolved(prov, *split) == [
        "requests_per_day is 1000 in the catalog, but the headers disagree among themselves "
        "(a 14400, b 1000): the limit may be per model"
    ]


def test_a_bare_header_is_the_one_limit_of_its_kind_the_catalog_declares() -> None:
    # Groq's bare x-ratelimit-limit-requests is per day, OpenAI's per minute: the catalog says
    prov = provider(model("day", requests_per_day=1000), model("minute", requests_per_minute=30))
    assert corrections(prov, seen("day", "requests", 14400), seen("minute", "requests", 60)) == [
        ("day", "requests_per_day", 1000, 14400),
        ("minute", "requests_per_minute", 30, 60),
    ]
    tokens = provider(model("m", tokens_per_minute=6000))
    assert corrections(tokens, seen("m", "tokens", 12000)) == [("m", "tokens_per_minute", 6000, 12000)]
    openrouter = provider(model("m"), requests_per_day=50)  # the bare X-RateLimit-Limit
    assert corrections(openrouter, seen("m", "", 1000)) == [(None, "requests_per_day", 50, 1000)]


def test_a_bare_header_that_equals_one_of_several_declared_limits_agrees() -> None:
    prov = provider(model("m", requests_per_day=1000), requests_per_minute=30)
    assert limit_findings(prov, [seen("m", "requests", 1000)], NOW) == limit_findings(prov, [], NOW)


def test_a_bare_header_that_matches_none_of_several_is_reported_not_guessed() -> None:
    prov = provider(model("m", requests_per_day=1000), requests_per_minute=30)
    assert corrections(prov, seen("m", "requests", 14400)) == []
    assert unresolved(prov, seen("m", "requests", 14400)) == [
        "x-ratelimit-limit-requests 14400 (on m) matches none of requests_per_minute 30, "
        "requests_per_day 1000, and the header does not say its window"
    ]


def test_a_correction_that_would_break_the_limit_rules_is_reported_instead() -> None:
    prov = provider(model("m", requests_per_minute=30, requests_per_day=1000))
    assert corrections(prov, seen("m", "requests-day", 20)) == []
    assert unresolved(prov, seen("m", "requests-day", 20)) == [
        "requests_per_day 20 is reported, but then requests_per_minute (30) is more than "
        "requests_per_day (20): a minute cannot allow more than its day"
    ]


def test_corrections_of_one_block_are_checked_together() -> None:
    prov = provider(model("m", requests_per_minute=30, requests_per_day=1000))
    # each alone is fine, but a minute of 2000 with a day of 1500 is not: the second is reported
    both = (seen("m", "requests-day", 1500), seen("m", "requests-minute", 2000))
    assert corrections(prov, *both) == [("m", "requests_per_day", 1000, 1500)]
    assert len(unresolved(prov, *both)) == 1


@pytest.mark.parametrize(
    "value",
    [
        seen("m", "requests-day", 14400, ts=iso_utc(NOW - (MAX_AGE_DAYS + 1) * 86400)),  # too old
        seen("m", "requests-day", 14400, provider_id="other"),  # another provider's
        seen("gone", "requests-day", 14400),  # retired
        seen("unknown", "requests-day", 14400),  # not in the catalog
        seen("m", "requests-week", 14400),  # a window the catalog has no key for
        seen("m", "requests-day", None),  # a remaining value without its limit
        seen("m", "requests-day", 0),
    ],
)
def test_evidence_that_cannot_count_is_ignored(value: RateLimitSeen) -> None:
    prov = provider(model("m", requests_per_day=1000), model("gone", "retired", requests_per_day=1000))
    assert limit_findings(prov, [value], NOW) == limit_findings(prov, [], NOW)


def test_evidence_just_inside_the_age_limit_counts() -> None:
    prov = provider(model("m", requests_per_day=1000))
    recent = seen("m", "requests-day", 14400, ts=iso_utc(NOW - MAX_AGE_DAYS * 86400))
    assert corrections(prov, recent) == [("m", "requests_per_day", 1000, 14400)]


DAY = 86400


def test_evidence_is_used_for_thirty_days_and_not_a_second_longer() -> None:
    prov = provider(model("m", requests_per_day=1000))
    assert corrections(prov, seen("m", "requests-day", 14400, ts=iso_utc(NOW - 30 * DAY))) == [
        ("m", "requests_per_day", 1000, 14400)
    ]
    assert corrections(prov, seen("m", "requests-day", 14400, ts=iso_utc(NOW - 30 * DAY - 1))) == []


def test_a_reported_limit_of_one_request_is_a_limit() -> None:
    prov = provider(model("m", requests_per_day=1000))
    assert corrections(prov, seen("m", "requests-day", 1)) == [("m", "requests_per_day", 1000, 1)]


@pytest.mark.parametrize("odd", [1000.5, True])
def test_a_catalog_limit_that_is_not_a_whole_number_is_not_corrected(odd: object) -> None:
    prov = provider(model("m", requests_per_day=1000), model("n"), requests_per_day=odd)
    assert limit_findings(prov, [seen("n", "requests-day", 14400)], NOW) == limit_findings(prov, [], NOW)
    # the model's own whole-number limit is still corrected
    assert corrections(prov, seen("m", "requests-day", 14400)) == [("m", "requests_per_day", 1000, 14400)]


def test_the_providers_corrections_come_before_its_models() -> None:
    prov = provider(
        model("a", requests_per_day=1000), model("b"), requests_per_day=500, tokens_per_minute=6000
    )
    found = corrections(
        prov,
        seen("a", "requests-day", 14400),
        seen("b", "tokens-minute", 8000),
        seen("a", "tokens-minute", 8000),
    )
    assert found == [(None, "tokens_per_minute", 6000, 8000), ("a", "requests_per_day", 1000, 14400)]
