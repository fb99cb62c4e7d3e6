"""Reading 429s: Retry-After, reset durations and epochs, daily-quota bodies, hostile values;
the x-ratelimit-limit-* / -remaining-* values of an answer."""

from __future__ import annotations

import email.utils
import json

import pytest

from freegin_gitops.core.rate_limit_reply import (
    RateLimitReply,
    parse_duration,
    rate_limit_values,
    read_429,
    reset_seconds,
    retry_after_seconds,
)
from freegin_gitops.core.usage import RateLimitValue

NOW = 1_795_600_800.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2m59.56s", 179.56),
        ("7.66s", 7.66),
        ("1h2m", 3720.0),
        ("1h2m3.5s", 3723.5),
        ("120ms", 0.12),
        ("1m30s500ms", 90.5),
        ("33011.38", 33011.38),
        ("0s", 0.0),
        (" 6S ", 6.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("m", None),
        ("1d", None),
        ("-5s", None),
        ("inf", None),
        ("nan", None),
        ("1" * 70 + "s", None),
    ],
)
def test_durations(text: str | None, seconds: float | None) -> None:
    got = parse_duration(text)
    assert got == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("12", NOW) == 12
    assert retry_after_seconds("-3", NOW) == 0
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds("inf", NOW) is None and retry_after_seconds("nan", NOW) is None
    assert retry_after_seconds(email.utils.formatdate(NOW + 90, usegmt=True), NOW) == pytest.approx(90)
    assert retry_after_seconds(email.utils.formatdate(NOW - 90, usegmt=True), NOW) == 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (str(int((NOW + 600) * 1000)), 600.0),  # epoch milliseconds (OpenRouter)
        (str(int(NOW + 600)), 600.0),  # epoch seconds
        (str(int(NOW - 600)), 0.0),  # already past
        ("60", 60.0),  # too small for a date: seconds from now
        ("inf", None),
        ("nan", None),
        ("-1", None),
        ("tomorrow", None),
    ],
)
def test_x_ratelimit_reset(value: str, seconds: float | None) -> None:
    got = reset_seconds(value, NOW)
    assert got == (pytest.approx(seconds) if seconds is not None else None)


def body(**error: object) -> bytes:
    return json.dumps({"error": error}).encode()


def test_retry_after_comes_first() -> None:
    headers = {"Retry-After": "30", "x-ratelimit-reset-requests": "2m59.56s"}
    assert read_429(headers, b"", NOW) == RateLimitReply(30.0, "Retry-After 30", False)


def test_the_reset_of_the_budget_at_zero_counts() -> None:
    headers = {
        "x-ratelimit-reset-requests": "2m59.56s",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-tokens": "7.66s",
        "x-ratelimit-remaining-tokens": "4000",
    }
    assert read_429(headers, b"", NOW) == RateLimitReply(179.56, "x-ratelimit-reset-requests 2m59.56s")
    headers["x-ratelimit-remaining-requests"], headers["x-ratelimit-remaining-tokens"] = "5", "0"
    assert read_429(headers, b"", NOW).basis == "x-ratelimit-reset-tokens 7.66s"


def test_without_remaining_headers_the_longest_reset_counts() -> None:
    headers = {"X-RateLimit-Reset-Tokens": "7.66s", "X-RateLimit-Reset-Requests": "1h2m"}
    assert read_429(headers, b"", NOW).wait_s == 3720.0
    cerebras = {"x-ratelimit-reset-requests-day": "33011.38", "x-ratelimit-reset-tokens-minute": "11.4"}
    assert read_429(cerebras, b"", NOW).wait_s == pytest.approx(33011.38)


def test_an_epoch_reset_in_the_header_or_in_openrouters_body() -> None:
    reset = str(int((NOW + 3600) * 1000))
    assert read_429({"X-RateLimit-Reset": reset}, b"", NOW).wait_s == pytest.approx(3600)
    content = body(
        message="Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests",
        code=429,
        metadata={
            "headers": {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        },
    )
    reply = read_429({}, content, NOW)
    assert (reply.wait_s, reply.daily) == (pytest.approx(3600), True)
    assert reply.basis == f"X-RateLimit-Reset {reset}"


def gemini(quota_id: str) -> bytes:
    return json.dumps(
        [
            {
                "error": {
                    "code": 429,
                    "message": "You exceeded your current quota. Please retry in 36.4s.",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                            "violations": [{"quotaId": quota_id}],
                        },
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36s"},
                    ],
                }
            }
        ]
    ).encode()


def test_gemini_per_day_quota_ids_mean_the_day_is_spent_and_free_tier_alone_does_not() -> None:
    day = read_429({}, gemini("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), NOW)
    minute = read_429({}, gemini("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), NOW)
    assert (day.daily, day.wait_s, day.basis) == (True, 36.0, "retryDelay 36s")
    assert (minute.daily, minute.wait_s) == (False, 36.0)


@pytest.mark.parametrize(
    ("message", "daily", "wait"),
    [
        (
            "Rate limit reached for model on requests per day (RPD): Limit 1000, Used 1000. "
            "Please try again in 2m59.56s.",
            True,
            179.56,
        ),
        (
            "Rate limit reached on tokens per minute (TPM): Limit 6000. Please try again in 7.66s.",
            False,
            7.66,
        ),
        ("Rate limit exceeded: free-models-per-min.", False, None),
        ("daily limit reached", True, None),
        ("slow down", False, None),
    ],
)
def test_messages(message: str, daily: bool, wait: float | None) -> None:
    reply = read_429({}, body(message=message), NOW)
    assert (reply.daily, reply.wait_s) == (daily, pytest.approx(wait) if wait is not None else None)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[" * 100_000,
        b"[]",
        b"null",
        b'{"error": "text"}',
        b'{"error": {"details": 5}}',
        b"x" * 200_000,
        json.dumps({"error": {"details": [{"violations": [{"quotaId": 7}]}]}}).encode(),
    ],
)
def test_hostile_bodies_say_nothing(content: bytes) -> None:
    assert read_429({}, content, NOW) == RateLimitReply()


def test_rate_limit_values_pair_limits_with_what_remains() -> None:
    headers = [
        ("X-RateLimit-Limit-Requests", "14400"),
        ("x-ratelimit-remaining-requests", "14370"),
        ("x-ratelimit-limit-tokens", "18000"),
        ("x-ratelimit-limit-requests-day", "14400"),
        ("X-RateLimit-Limit", "50"),
        ("X-RateLimit-Remaining", "0"),
        ("x-ratelimit-limit-bad name", "1"),
        ("x-ratelimit-limit-floaty", "1.5"),
        ("x-ratelimit-limit-huge", "9" * 30),
        ("x-ratelimit-reset-requests", "2m59.56s"),
    ]
    assert rate_limit_values(headers) == (
        RateLimitValue("", 50, 0),
        RateLimitValue("requests", 14400, 14370),
        RateLimitValue("requests-day", 14400, None),
        RateLimitValue("tokens", 18000, None),
    )
    many = {f"x-ratelimit-limit-n{i}": "1" for i in range(40)}
    assert len(rate_limit_values(many)) == 16
