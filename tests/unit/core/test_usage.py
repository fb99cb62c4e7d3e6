"""What the usage store holds (core.usage, plain data): which attempts count against a budget, the
tokens an attempt spent, the header a rate-limit value came in, what a cool-down covers, and the
one spelling of a timestamp whose text order is time order."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core import usage
from freegin_gitops.core.usage import (
    Cooldown,
    RateLimitValue,
    UsageRecord,
    WindowUsage,
    canonical_ts,
    epoch_of,
    iso_utc,
    reached_provider,
)

TEN_UTC = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    ("success", "error_kind", "counted"),
    [
        (True, None, True),
        (False, "http", True),  # an error status is an answer: the provider counted the request
        (False, "timeout", True),  # sent, then no answer in time
        (False, "connect", False),  # no connection was made: the provider never saw it
        (True, "connect", True),
    ],
)
def test_every_attempt_but_a_failed_connection_counts_against_a_budget(
    success: bool, error_kind: str | None, counted: bool
) -> None:
    assert reached_provider(success, error_kind) is counted
    record = UsageRecord("groq", "llama", "chat", 12.0, success, error_kind)
    assert record.reached is counted


@pytest.mark.parametrize(
    ("prompt", "completion", "total", "spent"),
    [
        (10, 5, 20, 20),  # the provider's own total wins
        (10, 5, None, 15),
        (None, 5, None, 5),
        (10, None, None, 10),
        (None, None, None, 0),  # the provider said nothing: nothing is counted
        (10, 5, 0, 0),
    ],
)
def test_the_tokens_an_attempt_spent(
    prompt: int | None, completion: int | None, total: int | None, spent: int
) -> None:
    record = UsageRecord("groq", "llama", "chat", 12.0, True, None, 200, prompt, completion, total)
    assert record.tokens == spent


def test_a_rate_limit_value_names_the_header_it_came_in() -> None:
    assert RateLimitValue("requests-day", 1000, 10).header == "x-ratelimit-limit-requests-day"
    assert RateLimitValue("", 30, 1).header == "x-ratelimit-limit"


def test_a_window_with_nothing_counted_is_empty() -> None:
    assert (WindowUsage().requests, WindowUsage().tokens, WindowUsage().oldest_epoch) == (0, 0, None)


def test_a_cooldown_of_a_model_covers_only_that_model_of_its_provider() -> None:
    one = Cooldown("groq", "llama", TEN_UTC, "429")
    assert one.covers("groq", "llama")
    assert not one.covers("groq", "qwen")
    assert not one.covers("gemini", "llama")


def test_a_cooldown_of_a_provider_covers_every_model_of_it_and_no_other() -> None:
    every = Cooldown("groq", None, TEN_UTC, "key rate-limited")
    assert every.covers("groq", "llama") and every.covers("groq", "qwen")
    assert not every.covers("gemini", "llama")


def test_timestamps_are_written_in_utc_with_milliseconds() -> None:
    assert iso_utc(TEN_UTC) == "2026-11-25T10:00:00.000Z"
    assert iso_utc(TEN_UTC + 0.25) == "2026-11-25T10:00:00.250Z"


def test_timestamps_round_as_datetime_does_at_every_edge() -> None:
    def reference(epoch: float) -> str:
        stamp = dt.datetime.fromtimestamp(epoch, dt.UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    edges = [0.0, 1e-7, 0.9994999, 0.9995, 0.9999994, 0.9999995, 0.9999996, -0.0000004, -0.0000006, -1.5]
    seconds = [0, 59, 86_399, TEN_UTC, TEN_UTC + 86_399, -86_400 * 365 * 1000]
    values = [s + e for s in seconds for e in edges]
    values += [TEN_UTC + n / 7919 for n in range(20_000)]  # the same second, then the next ones
    assert [iso_utc(v) for v in values] == [reference(v) for v in values]
    assert iso_utc(TEN_UTC + 0.9999996) == "2026-11-25T10:00:01.000Z"  # rounded into the next second
    assert iso_utc(-86_400 * 365 * 1000.0) == reference(-86_400 * 365 * 1000.0)  # a year before 1000


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-25T10:00:00.000Z",
        "2026-11-25T10:00:00Z",
        "2026-11-25t10:00:00z",
        "2026-11-25T10:00:00",  # no offset: UTC
        "2026-11-25T11:00:00+01:00",
    ],
)
def test_every_spelling_of_a_time_reads_as_that_time(ts: str) -> None:
    assert epoch_of(ts) == TEN_UTC
    assert canonical_ts(ts) == "2026-11-25T10:00:00.000Z"


def test_the_canonical_spelling_orders_as_time_does() -> None:
    earlier, later = "2026-11-25T10:30:00+01:00", "2026-11-25T10:00:00Z"  # 09:30 and 10:00 UTC
    assert later < earlier  # as written, the texts sort the other way round
    assert canonical_ts(earlier) == "2026-11-25T09:30:00.000Z"
    assert canonical_ts(earlier) < canonical_ts(later)


@pytest.mark.parametrize("ts", ["yesterday", "", "2026-13-01T00:00:00Z"])
def test_text_that_is_no_timestamp_is_a_value_error(ts: str) -> None:
    with pytest.raises(ValueError):
        canonical_ts(ts)


@pytest.mark.parametrize(
    ("epoch", "written"), [(1.5, "1970-01-01T00:00:01.500Z"), (0.25, "1970-01-01T00:00:00.250Z")]
)
def test_the_first_timestamp_a_process_writes_is_right_whatever_its_second(
    epoch: float, written: str
) -> None:
    """iso_utc keeps the text of the last seconds it wrote; a process starts with none."""
    usage._second_text.cache_clear()
    assert iso_utc(epoch) == written


def test_timestamps_of_the_same_second_and_the_next_are_each_written_right() -> None:
    assert [iso_utc(TEN_UTC + d) for d in (0.001, 0.999, 1.0, 0.5)] == [
        "2026-11-25T10:00:00.001Z",
        "2026-11-25T10:00:00.999Z",
        "2026-11-25T10:00:01.000Z",
        "2026-11-25T10:00:00.500Z",
    ]
