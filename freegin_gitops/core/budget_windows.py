"""Budget windows: when the minute, hour and day of a free-tier limit start and when they reset.

Minutes and hours are rolling (the last 60 or 3,600 seconds), as providers count them. A day
follows the limit's ``day_resets``: ``utc-midnight`` (the default) and ``pacific-midnight`` are
calendar days that start over at midnight in UTC or in US Pacific time (Google's quotas; the
Pacific day is 23 or 25 hours long when daylight saving time starts or ends, which
:mod:`zoneinfo` knows), ``rolling`` is the last 24 hours. Pure: the time is passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

DayResets = Literal["utc-midnight", "pacific-midnight", "rolling"]
DAY_RESETS: tuple[DayResets, ...] = ("utc-midnight", "pacific-midnight", "rolling")
DEFAULT_DAY_RESETS: DayResets = "utc-midnight"
Period = Literal["minute", "hour", "day"]
PERIODS: tuple[Period, ...] = ("minute", "hour", "day")
ROLLING_S: dict[Period, float] = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
PACIFIC = "America/Los_Angeles"


@cache
def _zone(name: str) -> dt.tzinfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Window:
    """The current window of one period. A calendar window starts over at ``resets_at``; a
    rolling one (``resets_at`` None) frees up as its requests age out of it."""

    period: Period
    day_resets: DayResets
    start: float  # epoch seconds, inclusive
    resets_at: float | None

    @property
    def rolling(self) -> bool:
        return self.resets_at is None

    def frees_at(self, oldest_epoch: float | None) -> float | None:
        """When a spent window has room again: its reset, or for a rolling window the time its
        oldest counted request leaves it."""
        if self.resets_at is not None:
            return self.resets_at
        return None if oldest_epoch is None else oldest_epoch + ROLLING_S[self.period]


def _midnights(now: float, zone: dt.tzinfo) -> tuple[float, float]:
    """The midnight that started the day ``now`` falls in, in ``zone``, and the next one."""
    local = dt.datetime.fromtimestamp(now, zone)
    today = dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return today.timestamp(), tomorrow.timestamp()


def window(period: Period, now: float, day_resets: DayResets = DEFAULT_DAY_RESETS) -> Window:
    """The window of ``period`` that ``now`` is in."""
    if period != "day" or day_resets == "rolling":
        # A request made exactly one period ago has left the window (timestamps are kept to the
        # millisecond), so a window frees up at the time frees_at says.
        return Window(period, day_resets, now - ROLLING_S[period] + 0.001, None)
    zone = dt.UTC if day_resets == "utc-midnight" else _zone(PACIFIC)
    start, end = _midnights(now, zone)
    return Window(period, day_resets, start, end)


def day_reset(now: float, day_resets: DayResets = DEFAULT_DAY_RESETS) -> float | None:
    """When the day of ``now`` starts over (None for a rolling day)."""
    return window("day", now, day_resets).resets_at


def clock_time(epoch: float, day_resets: DayResets = DEFAULT_DAY_RESETS) -> str:
    """A reset time as a person reads it: ``00:00 UTC``, ``00:00 Pacific (08:00 UTC)``, or
    ``14:03:27 UTC`` when it is not on the minute."""
    utc = dt.datetime.fromtimestamp(epoch, dt.UTC)
    shape = "%H:%M" if utc.second == 0 and utc.microsecond == 0 else "%H:%M:%S"
    if day_resets == "pacific-midnight":
        local = dt.datetime.fromtimestamp(epoch, _zone(PACIFIC))
        return f"{local:%H:%M} Pacific ({utc:{shape}} UTC)"
    return f"{utc:{shape}} UTC"
