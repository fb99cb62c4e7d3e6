"""Budget windows: rolling minutes and hours, UTC and Pacific calendar days (daylight saving
time included), rolling days; the reset times people read."""

from __future__ import annotations

import datetime as dt

import pytest

from freegin_gitops.core.budget_windows import clock_time, day_reset, window


def at(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


def test_minutes_and_hours_are_rolling() -> None:
    now = at(2026, 11, 25, 10, 0, 30)
    minute, hour = window("minute", now), window("hour", now)
    assert (minute.start, minute.resets_at, minute.rolling) == (now - 60 + 0.001, None, True)
    assert hour.start == pytest.approx(now - 3600 + 0.001, abs=1e-6)  # rel=1e-6 would be 30 min
    assert hour.frees_at(now - 10) == now + 3590
    assert minute.frees_at(now - 10) == now + 50
    assert minute.frees_at(None) is None


@pytest.mark.parametrize(
    ("now", "start", "reset"),
    [
        (at(2026, 11, 25, 10, 0), at(2026, 11, 25), at(2026, 11, 26)),
        (at(2026, 11, 25, 0, 0), at(2026, 11, 25), at(2026, 11, 26)),  # midnight opens the day
        (at(2026, 11, 25, 23, 59, 59), at(2026, 11, 25), at(2026, 11, 26)),
        (at(2026, 12, 31, 12, 0), at(2026, 12, 31), at(2027, 1, 1)),
    ],
)
def test_a_utc_day(now: float, start: float, reset: float) -> None:
    day = window("day", now, "utc-midnight")
    assert (day.start, day.resets_at, day.frees_at(None)) == (start, reset, reset)
    assert window("day", now) == day  # utc-midnight is the default


@pytest.mark.parametrize(
    ("now", "start", "reset", "hours"),
    [
        # PST (UTC-8): midnight in Los Angeles is 08:00 UTC
        (at(2026, 11, 25, 10, 0), at(2026, 11, 25, 8), at(2026, 11, 26, 8), 24),
        (at(2026, 11, 25, 7, 59), at(2026, 11, 24, 8), at(2026, 11, 25, 8), 24),
        # PDT (UTC-7)
        (at(2026, 7, 1, 12, 0), at(2026, 7, 1, 7), at(2026, 7, 2, 7), 24),
        # 2026-03-08: clocks go forward at 02:00, the day has 23 hours
        (at(2026, 3, 8, 12, 0), at(2026, 3, 8, 8), at(2026, 3, 9, 7), 23),
        # 2026-11-01: clocks go back at 02:00, the day has 25 hours
        (at(2026, 11, 1, 12, 0), at(2026, 11, 1, 7), at(2026, 11, 2, 8), 25),
    ],
)
def test_a_pacific_day_follows_daylight_saving_time(
    now: float, start: float, reset: float, hours: int
) -> None:
    day = window("day", now, "pacific-midnight")
    assert (day.start, day.resets_at) == (start, reset)
    assert reset - start == hours * 3600
    assert day_reset(now, "pacific-midnight") == reset


def test_a_rolling_day_is_the_last_24_hours() -> None:
    now = at(2026, 11, 25, 10, 0)
    day = window("day", now, "rolling")
    assert (day.start, day.resets_at) == (pytest.approx(now - 86400 + 0.001, abs=1e-6), None)
    assert day.frees_at(now - 3600) == now + 82800
    assert day_reset(now, "rolling") is None


def test_reset_times_read_as_people_read_them() -> None:
    assert clock_time(at(2026, 11, 26)) == "00:00 UTC"
    assert clock_time(at(2026, 11, 26, 8), "pacific-midnight") == "00:00 Pacific (08:00 UTC)"
    assert clock_time(at(2026, 11, 25, 14, 3, 27)) == "14:03:27 UTC"
    assert clock_time(at(2026, 11, 25, 14, 3, 27) + 0.5, "rolling") == "14:03:27 UTC"
