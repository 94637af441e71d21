"""A day's windows per role, without a database: activities merged where they overlap or
touch, each window with the items of the activities inside it."""

from __future__ import annotations

from datetime import date

from services.work_speed.days import ActivityRow, Window, export_day, merged
from services.work_speed.standards import RoleStandards, Standards
from tests.helpers import utc


def test_overlapping_touching_and_contained_activities_make_one_window() -> None:
    rows = [
        ActivityRow(1, 5, utc(2026, 11, 19, 9), utc(2026, 11, 19, 9, 30)),
        ActivityRow(1, 7, utc(2026, 11, 19, 8), utc(2026, 11, 19, 9, 10)),  # overlaps
        ActivityRow(1, 1, utc(2026, 11, 19, 8, 5), utc(2026, 11, 19, 8, 6)),  # inside
        ActivityRow(1, 2, utc(2026, 11, 19, 9, 30), utc(2026, 11, 19, 9, 45)),  # touches
        ActivityRow(1, 4, utc(2026, 11, 19, 10), utc(2026, 11, 19, 10, 20)),  # apart
    ]

    assert merged(rows) == [
        Window(utc(2026, 11, 19, 8), utc(2026, 11, 19, 9, 45), 15),
        Window(utc(2026, 11, 19, 10), utc(2026, 11, 19, 10, 20), 4),
    ]
    assert [(w.minutes, w.rate_per_hour) for w in merged(rows)] == [
        (105.0, 15 * 60 / 105),
        (20.0, 12.0),
    ]


def test_a_role_without_a_standard_earns_no_minutes_and_keeps_its_rate() -> None:
    standards = Standards(
        roles={1: RoleStandards(1, "sweeping", "Sweeping", 0.25, 0.0)},
        idle_threshold_minutes=15,
        productivity_goal=100.0,
    )
    rows = [ActivityRow(1, 40, utc(2026, 11, 19, 8), utc(2026, 11, 19, 8, 30))]

    day = export_day(work_date=date(2026, 11, 19), standards=standards, activities=rows,
                     score=None, idle_periods=[], flags=[])  # fmt: skip

    [role] = day.roles
    assert (role.items, role.points, role.earned_minutes, role.active_minutes) == (
        40,
        10.0,
        0.0,
        30.0,
    )
    assert role.rate_per_hour == 80.0
