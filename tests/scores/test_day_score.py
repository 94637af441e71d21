"""The daily score formulas, on hand-computed cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.models import Role
from services.scores import ClockSample, WorkSample, compute_day, earned_minutes, points
from tests.helpers import utc

ROLES = {
    1: Role(points_per_item=1.0, expected_per_hour=120),
    2: Role(points_per_item=2.5, expected_per_hour=0),  # no engineered standard
}
IDLE = timedelta(minutes=15)


def at(hour: int, minute: int = 0) -> datetime:
    return utc(2026, 11, 20, hour, minute)


def work(role: int, items: int, start: datetime, end: datetime) -> WorkSample:
    return WorkSample(role, items, start, end)


def test_a_shift_with_a_break_overlaps_and_an_idle_gap() -> None:
    # Clocked 08:00-12:00 with a 10:00-10:15 break: 240 clocked, 15 break, 225 available.
    clock = ClockSample(at(8), at(12), [(at(10), at(10, 15))])
    samples = [
        work(1, 120, at(8), at(9)),  # 60 earned minutes
        work(1, 60, at(8, 30), at(9, 30)),  # overlaps: active union 08:00-09:30
        work(2, 4, at(9, 40), at(9, 50)),  # no standard: points only
        work(1, 100, at(11), at(12)),
    ]

    day = compute_day(work=samples, clocks=[clock], roles=ROLES, now=at(18), idle_threshold=IDLE)

    assert day.items_processed == 284
    assert day.points_earned == 290.0
    assert day.earned_minutes == 140.0
    assert day.active_minutes == 160.0
    assert day.clocked_minutes == 240.0
    assert day.break_minutes == 15.0
    assert day.available_minutes == 225.0
    # Gaps: 09:30-09:40 (10 min, under threshold), 09:50-10:00 (10), 10:15-11:00 (45).
    assert day.idle_periods == [(at(10, 15), at(11))]
    assert day.idle_minutes == 45.0
    assert day.productivity == 140.0 / 225.0 * 100
    assert day.utilization == 160.0 / 225.0 * 100


def test_open_record_runs_to_now_and_is_capped_at_16_hours() -> None:
    opened = ClockSample(at(0), None)

    day_now = compute_day(work=[], clocks=[opened], roles=ROLES, now=at(3), idle_threshold=IDLE)
    day_late = compute_day(
        work=[], clocks=[opened], roles=ROLES, now=at(0) + timedelta(hours=20), idle_threshold=IDLE
    )

    assert day_now.clocked_minutes == 180.0
    assert day_late.clocked_minutes == 960.0
    assert day_now.productivity == 0.0  # available time, nothing earned


def test_open_break_runs_to_the_end_of_its_record() -> None:
    clock = ClockSample(at(8), None, [(at(9), None)])

    day = compute_day(work=[], clocks=[clock], roles=ROLES, now=at(10), idle_threshold=IDLE)

    assert (day.clocked_minutes, day.break_minutes, day.available_minutes) == (120.0, 60.0, 60.0)


def test_breaks_are_never_idle_and_activity_outside_clock_is_not_utilization() -> None:
    clock = ClockSample(at(8), at(9), [(at(8, 20), at(8, 50))])
    samples = [work(1, 20, at(8), at(8, 10)), work(1, 20, at(9), at(9, 30))]

    day = compute_day(work=samples, clocks=[clock], roles=ROLES, now=at(18), idle_threshold=IDLE)

    assert day.available_minutes == 30.0
    assert day.idle_periods == []  # 08:10-08:20 and 08:50-09:00 are 10 minutes each
    assert day.active_minutes == 40.0
    assert day.utilization == 10.0 / 30.0 * 100


def test_without_clock_productivity_falls_back_to_active_time() -> None:
    day = compute_day(
        work=[work(1, 60, at(8), at(9))], clocks=[], roles=ROLES, now=at(18), idle_threshold=IDLE
    )

    assert day.available_minutes == 0.0
    assert day.productivity == 50.0  # 30 earned of 60 active
    assert day.utilization is None


def test_points_and_earned_minutes_per_role() -> None:
    assert (points(30, ROLES[1]), earned_minutes(30, ROLES[1])) == (30.0, 15.0)
    assert (points(4, ROLES[2]), earned_minutes(4, ROLES[2])) == (10.0, 0.0)


def test_the_idle_threshold_decides_what_is_idle() -> None:
    # Clocked 08:00-10:00, working 08:00-09:00 and 09:20-10:00: one 20-minute gap.
    clock = ClockSample(at(8), at(10))
    samples = [work(1, 60, at(8), at(9)), work(1, 40, at(9, 20), at(10))]

    strict = compute_day(work=samples, clocks=[clock], roles=ROLES, now=at(18), idle_threshold=IDLE)
    lenient = compute_day(
        work=samples, clocks=[clock], roles=ROLES, now=at(18), idle_threshold=timedelta(minutes=30)
    )

    assert (strict.idle_minutes, strict.idle_periods) == (20.0, [(at(9), at(9, 20))])
    assert (lenient.idle_minutes, lenient.idle_periods) == (0.0, [])
