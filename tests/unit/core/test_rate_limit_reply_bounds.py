"""The bounds of reading a 429 and an answer's rate-limit headers, at their exact edges: header
length, body size, list items, header names, the epoch cut-offs of ``X-RateLimit-Reset``, the
part of a message that is read, and which source wins when an earlier one says nothing usable."""

from __future__ import annotations

import json

from freegin_gitops.core.rate_limit_reply import (
    MAX_BODY_BYTES,
    MAX_HEADER_CHARS,
    MAX_ITEMS,
    MAX_NAMES,
    RateLimitReply,
    parse_duration,
    rate_limit_values,
    read_429,
    reset_seconds,
    retry_after_seconds,
)
from freegin_gitops.core.usage import RateLimitValue


def _padded(width: int, last: str = "5") -> str:
    return "0" * (width - len(last)) + last


def test_header_values_are_read_up_to_their_length_limit_and_not_beyond() -> None:
    assert MAX_HEADER_CHARS == 64
    at_limit, over = _padded(64), _padded(65)
    assert parse_duration(at_limit) == 5.0 and parse_duration(over) is None
    assert retry_after_seconds(at_limit, 0.0) == 5.0 and retry_after_seconds(over, 0.0) is None
    assert reset_seconds(at_limit, 0.0) == 5.0 and reset_seconds(over, 0.0) is None


def test_a_reset_of_zero_is_now_and_small_numbers_are_seconds_from_now() -> None:
    assert reset_seconds("0", 1_700_000_000.0) == 0.0
    assert reset_seconds("0.5", 1_700_000_000.0) == 0.5


def test_the_epoch_cut_offs_are_inclusive() -> None:
    # 1e11 and more: epoch milliseconds; 1e8 up to that: epoch seconds; below: seconds from now.
    assert reset_seconds("100000000000", 0.0) == 1e8
    assert reset_seconds("99999999999", 0.0) == 99999999999.0
    assert reset_seconds("100000000", 5e7) == 5e7
    assert reset_seconds("99999999", 5e7) == 99999999.0
    assert reset_seconds("100000000000", 2e8) == 0.0  # a time already past is now


def _body(message: str, size: int) -> bytes:
    base = {"error": {"message": message}, "pad": ""}
    empty = len(json.dumps(base).encode())
    base["pad"] = "x" * (size - empty)
    data = json.dumps(base).encode()
    assert len(data) == size
    return data


def test_a_body_is_read_up_to_its_size_limit_and_not_beyond() -> None:
    assert MAX_BODY_BYTES == 64 * 1024
    assert read_429({}, _body("quota per day", MAX_BODY_BYTES), 0.0).daily
    assert not read_429({}, _body("quota per day", MAX_BODY_BYTES + 1), 0.0).daily


def test_only_the_first_items_of_an_error_body_list_are_looked_at() -> None:
    assert MAX_ITEMS == 32

    def details(at: int) -> bytes:
        items: list[dict[str, str]] = [{} for _ in range(at)]
        items[-1] = {"retryDelay": "7s"}
        return json.dumps({"error": {"details": items}}).encode()

    assert read_429({}, details(MAX_ITEMS), 0.0).wait_s == 7.0
    assert read_429({}, details(MAX_ITEMS + 1), 0.0).wait_s is None


def test_only_the_first_two_thousand_characters_of_a_message_are_read() -> None:
    assert read_429({}, json.dumps({"error": {"message": "x" * 1993 + "per day"}}).encode(), 0.0).daily
    assert not read_429({}, json.dumps({"error": {"message": "x" * 1994 + "per day"}}).encode(), 0.0).daily
    # 'retry in 1m30s' cut after '1m' is a minute; one more character would make it unreadable
    cut = json.dumps({"error": {"message": "x" * 1989 + "retry in 1m30s"}}).encode()
    assert read_429({}, cut, 0.0).wait_s == 60.0


def test_an_unusable_source_gives_way_to_the_next() -> None:
    headers = {"Retry-After": "soon", "x-ratelimit-reset-requests": "7.66s"}
    assert read_429(headers, b"", 0.0).wait_s == 7.66
    message = json.dumps({"error": {"message": "try again in 5s"}}).encode()
    assert read_429({"X-RateLimit-Reset": "abc"}, message, 0.0).wait_s == 5.0


def test_reset_headers_with_a_bad_name_are_ignored() -> None:
    assert read_429({"x-ratelimit-reset-re_quests": "5s"}, b"", 0.0).wait_s is None


def test_header_numbers_of_up_to_fifteen_digits_are_read() -> None:
    fifteen, sixteen = "1" * 15, "1" * 16
    assert rate_limit_values([("x-ratelimit-limit-a", fifteen), ("x-ratelimit-limit-b", sixteen)]) == (
        RateLimitValue("a", int(fifteen), None),
    )


def test_a_bad_header_name_is_left_out_whatever_its_value() -> None:
    assert rate_limit_values([("x-ratelimit-limit-re_quests", "5")]) == ()


def test_at_most_max_names_are_kept_and_a_kept_name_still_gets_what_remains() -> None:
    assert MAX_NAMES == 16
    names = [f"n{i:02d}" for i in range(MAX_NAMES + 1)]
    headers = [(f"x-ratelimit-limit-{n}", "10") for n in names]
    headers.append((f"x-ratelimit-remaining-{names[0]}", "3"))
    values = rate_limit_values(headers)
    assert [v.name for v in values] == names[:MAX_NAMES]
    assert values[0] == RateLimitValue(names[0], 10, 3)


def test_a_retry_time_in_the_message_that_cannot_be_read_says_nothing() -> None:
    message = json.dumps({"error": {"message": "please retry in 1m3 or so"}}).encode()
    assert read_429({}, message, 0.0) == RateLimitReply()
