"""A gateway's own memory of budget usage: its attempts per minute, the store's last counts, and
the estimate that stands in for the store while it cannot be reached."""

from __future__ import annotations

from freegin_gitops.core.local_usage import HORIZON_S, RECENT_S, InFlight, LocalUsage, plus
from freegin_gitops.core.usage import WindowQuery, WindowUsage

T0 = 1_795_600_800.0  # on a minute boundary


def test_own_attempts_count_per_model_and_for_the_provider():
    local = LocalUsage()
    local.add("p", "a", T0 + 1, 10)
    local.add("p", "b", T0 + 70, 5)
    local.add("q", "a", T0 + 2, 1)
    assert local.own(WindowQuery("p", "a", T0)) == WindowUsage(1, 10, T0 + 1)
    assert local.own(WindowQuery("p", None, T0)) == WindowUsage(2, 15, T0 + 1)
    assert local.own(WindowQuery("p", None, T0 + 60)) == WindowUsage(1, 5, T0 + 70)
    assert local.own(WindowQuery("p", "c", T0)) == WindowUsage()


def test_recent_attempts_count_exactly_older_ones_by_whole_minutes_never_short():
    local = LocalUsage()
    local.add("p", "a", T0 + 10, 1)
    assert local.own(WindowQuery("p", "a", T0 + 10)).requests == 1
    assert local.own(WindowQuery("p", "a", T0 + 11)).requests == 0  # recent: exact
    local.add("p", "b", T0 + RECENT_S + 100, 1)  # later: the first attempt is not recent any more
    assert local.own(WindowQuery("p", "a", T0 + 30)).requests == 1  # its whole minute counts
    assert local.own(WindowQuery("p", "a", T0 + 60)).requests == 0


def test_minutes_older_than_the_horizon_are_forgotten():
    local = LocalUsage()
    local.add("p", "a", T0, 1)
    local.add("p", "a", T0 + HORIZON_S - 60, 1)
    assert local.own(WindowQuery("p", "a", 0.0)).requests == 2
    local.add("p", "b", T0 + HORIZON_S + 120, 1)
    assert local.own(WindowQuery("p", "a", 0.0)).requests == 1


def test_without_a_remembered_count_the_estimate_is_this_process_alone():
    local = LocalUsage()
    local.add("p", "a", T0 + 5, 3)
    assert local.estimate(WindowQuery("p", "a", T0)) == WindowUsage(1, 3, T0 + 5)


def test_a_calendar_day_goes_on_from_the_last_count_plus_what_this_process_did_since():
    local = LocalUsage()
    day = WindowQuery("p", "a", T0)  # midnight, the same start all day
    local.remember(day, WindowUsage(40, 400, T0 + 10), at=T0 + 3600)
    local.add("p", "a", T0 + 3600 + 120, 7)  # this process, while the store is away
    local.add("p", "a", T0 + 3600 + 125, 7)
    assert local.estimate(day) == WindowUsage(42, 414, T0 + 10)


def test_a_rolling_window_uses_a_count_that_still_covers_its_start():
    local = LocalUsage()
    local.remember(WindowQuery("p", None, T0 - 3600), WindowUsage(9, 0, T0 - 3000), at=T0)
    local.add("p", "x", T0 + 30, 0)
    # 20 minutes later the hour window starts after the count's start but before it was taken
    assert local.estimate(WindowQuery("p", None, T0 + 1200 - 3600)).requests == 10
    # two hours later the count says nothing of the window any more: only this process's own
    assert local.estimate(WindowQuery("p", None, T0 + 7200 - 3600)).requests == 0


def test_the_tightest_of_several_counts_wins():
    local = LocalUsage()
    local.remember(WindowQuery("p", "a", T0 - 86400), WindowUsage(500, 0, T0 - 80000), at=T0)
    local.remember(WindowQuery("p", "a", T0 - 60), WindowUsage(3, 0, T0 - 50), at=T0)
    assert local.estimate(WindowQuery("p", "a", T0 + 10 - 60)).requests == 3
    assert local.estimate(WindowQuery("p", "a", T0 + 10 - 86400)).requests == 500


def test_a_count_for_the_model_is_not_used_for_the_provider():
    local = LocalUsage()
    local.remember(WindowQuery("p", "a", T0), WindowUsage(5, 0, T0), at=T0 + 10)
    assert local.estimate(WindowQuery("p", None, T0)).requests == 0
    assert local.estimate(WindowQuery("p", "a", T0)).requests == 5


def test_only_a_few_counts_are_kept_per_scope():
    local = LocalUsage()
    for i in range(50):
        local.remember(WindowQuery("p", "a", T0 + i), WindowUsage(100 - i, 0, None), at=T0 + 100)
    assert local.estimate(WindowQuery("p", "a", T0 + 10)).requests == 0  # forgotten: own only
    assert local.estimate(WindowQuery("p", "a", T0 + 45)).requests == 55  # kept: 42..49; 45 is tightest
    assert local.estimate(WindowQuery("p", "a", T0 + 49)).requests == 51


def test_in_flight_calls_count_for_their_model_and_provider_until_they_end():
    calls = InFlight()
    calls.start("p", "a")
    calls.start("p", "b")
    assert [calls.requests(WindowQuery("p", m, 0.0)) for m in ("a", "b", None, "c")] == [1, 1, 2, 0]
    calls.end("p", "a")
    calls.end("p", "b")
    assert calls.requests(WindowQuery("p", None, 0.0)) == 0


def test_plus_keeps_the_earliest_request():
    assert plus(WindowUsage(1, 2, 50.0), 1, 1, 40.0) == WindowUsage(2, 3, 40.0)
    assert plus(WindowUsage(), 2, 0) == WindowUsage(2, 0, None)
    assert plus(WindowUsage(1, 2, 50.0), 0, 0, 10.0) == WindowUsage(1, 2, 50.0)


def test_minute_counts_can_take_back_what_they_counted():
    from freegin_gitops.core.local_usage import MinuteCounts

    pending = MinuteCounts()
    pending.add("p", "a", T0 + 1, 10)
    pending.add("p", "a", T0 + 2, 5)
    pending.add("p", "a", T0 + 1, 10, sign=-1)  # stored: no longer pending
    assert pending.count(WindowQuery("p", None, T0)) == WindowUsage(1, 5, T0 + 60)
    pending.add("p", "a", T0 + 2, 5, sign=-1)
    assert pending.count(WindowQuery("p", None, T0)) == WindowUsage()
    assert pending.count(WindowQuery("p", "a", T0)) == WindowUsage()


def test_an_attempt_counted_by_the_store_is_not_counted_again_since_that_count():
    local = LocalUsage()
    local.add("p", "a", T0 + 5, 1)  # stored, and counted by the store at T0 + 6
    local.remember(WindowQuery("p", "a", T0 - 3600), WindowUsage(1, 1, T0 + 5), at=T0 + 6)
    local.add("p", "a", T0 + 8, 1)
    assert local.estimate(WindowQuery("p", "a", T0 - 3600)).requests == 2


# -- the edges: 25 hours kept, 10 minutes exact, 8 counts remembered ---------------------------
HOUR = 3600.0


def test_attempts_are_kept_for_25_hours_by_the_minute_then_forgotten():
    local = LocalUsage()
    local.add("p", "a", T0, 1)
    local.add("p", "b", T0 + 25 * HOUR, 1)  # exactly 25 hours later: the first is still kept
    assert local.own(WindowQuery("p", "a", 0.0)).requests == 1
    local.add("p", "b", T0 + 25 * HOUR + 60, 1)  # a minute more: it is gone
    assert local.own(WindowQuery("p", "a", 0.0)).requests == 0
    assert local.own(WindowQuery("p", None, 0.0)).requests == 2


def test_a_window_starting_ten_minutes_before_the_latest_attempt_is_counted_exactly():
    local = LocalUsage()
    local.add("p", "a", T0 + 1, 1)
    local.add("p", "a", T0 + 30, 1)  # the same minute as the first
    local.add("p", "b", T0 + 30 + 600, 1)
    assert local.own(WindowQuery("p", "a", T0 + 30)) == WindowUsage(1, 1, T0 + 30)
    # starting a little earlier than that, the window is counted by whole minutes (never short)
    assert local.own(WindowQuery("p", "a", T0 + 29.5)) == WindowUsage(2, 2, T0 + 60)


def test_an_attempt_with_no_token_figures_still_counts_as_a_request_by_the_minute():
    local = LocalUsage()
    local.add("p", "a", T0 + 1, 0)
    local.add("p", "b", T0 + 2 * HOUR, 0)  # long after: the first is counted by its minute
    assert local.own(WindowQuery("p", "a", T0)) == WindowUsage(1, 0, T0 + 60)


def test_eight_counts_are_remembered_per_scope():
    local = LocalUsage()
    for i in range(50):
        local.remember(WindowQuery("p", "a", T0 + i), WindowUsage(100 - i, 0, None), at=T0 + 100)
    assert local.estimate(WindowQuery("p", "a", T0 + 41)).requests == 0  # the ninth last: forgotten
    assert local.estimate(WindowQuery("p", "a", T0 + 42)).requests == 58  # the eighth last: kept


def test_a_count_taken_at_the_start_of_its_window_covers_it():
    local = LocalUsage()
    local.remember(WindowQuery("p", "a", T0), WindowUsage(5, 50, T0), at=T0)
    local.add("p", "a", T0 + 1, 10)
    assert local.estimate(WindowQuery("p", "a", T0)) == WindowUsage(6, 60, T0)


def test_a_call_in_flight_counts_until_it_ends_while_another_goes_on():
    calls = InFlight()
    calls.start("p", "a")
    calls.start("p", "a")
    calls.end("p", "a")
    assert calls.requests(WindowQuery("p", "a", 0.0)) == 1
    assert calls.requests(WindowQuery("p", None, 0.0)) == 1


def test_minute_counts_taken_back_in_one_minute_keep_the_other_minutes():
    from freegin_gitops.core.local_usage import MinuteCounts

    pending = MinuteCounts()
    pending.add("p", "a", T0 + 1, 10)
    pending.add("p", "a", T0 + 61, 5)
    pending.add("p", "a", T0 + 1, 10, sign=-1)
    assert pending.count(WindowQuery("p", "a", T0)) == WindowUsage(1, 5, T0 + 120)
    assert pending.count(WindowQuery("p", None, T0)) == WindowUsage(1, 5, T0 + 120)
