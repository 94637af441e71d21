"""What a sync reads (``services.connecteam.plans``): the same default dates and limits for
``triggerSync`` and for the scheduled jobs, and a backfill in runs of at most 31 days."""

from __future__ import annotations

from datetime import date

import pytest

from services.connecteam.plans import plan, span
from services.connecteam.runs import Planned, SyncKind
from services.errors import BadInput

TODAY = date(2026, 11, 20)
TICK = "2026-11-20T16:05:00Z"


def test_by_default_the_time_clock_reads_yesterday_and_today_and_schedules_two_weeks() -> None:
    assert span(SyncKind.TIME_CLOCK, TODAY, None, None) == (date(2026, 11, 19), TODAY)
    assert span(SyncKind.TIME_CLOCK, TODAY, None, date(2026, 11, 10)) == (
        date(2026, 11, 9), date(2026, 11, 10),
    )  # fmt: skip
    assert span(SyncKind.SCHEDULES, TODAY, None, None) == (TODAY, date(2026, 12, 3))


def test_a_backfill_is_one_run_per_31_days_each_with_its_message() -> None:
    runs = plan(SyncKind.TIME_CLOCK, TICK, TODAY, date(2026, 1, 1), date(2026, 3, 5))

    assert runs == [
        Planned(f"{TICK}/20260101", date(2026, 1, 1), date(2026, 1, 31),
                (TICK, "2026-01-01", "2026-01-31")),
        Planned(f"{TICK}/20260201", date(2026, 2, 1), date(2026, 3, 3),
                (TICK, "2026-02-01", "2026-03-03")),
        Planned(f"{TICK}/20260304", date(2026, 3, 4), date(2026, 3, 5),
                (TICK, "2026-03-04", "2026-03-05")),
    ]  # fmt: skip
    assert plan(SyncKind.USERS, TICK, TODAY, None, None) == [Planned(TICK, args=(TICK, True))]
    assert plan(SyncKind.SCHEDULES, TICK, TODAY, None, None) == [
        Planned(f"{TICK}/20261120", TODAY, date(2026, 12, 3), (TICK, "2026-11-20", "2026-12-03"))
    ]


@pytest.mark.parametrize(
    ("kind", "start", "end", "refusal"),
    [
        (SyncKind.TIME_CLOCK, date(2026, 11, 2), date(2026, 11, 1), "`from` must not be after `to`"),
        (SyncKind.TIME_CLOCK, date(2024, 12, 31), date(2026, 1, 1), "a time-clock sync spans at most 366 days"),
        (SyncKind.SCHEDULES, date(2026, 1, 1), date(2026, 4, 3), "a schedules sync spans at most 92 days"),
        (SyncKind.USERS, date(2026, 1, 1), None, "a users sync reads every user: it takes no range"),
    ],
)  # fmt: skip
def test_a_range_the_wrong_way_round_or_too_long_is_refused(
    kind: SyncKind, start: date, end: date | None, refusal: str
) -> None:
    with pytest.raises(BadInput, match=refusal):
        plan(kind, TICK, TODAY, start, end)
