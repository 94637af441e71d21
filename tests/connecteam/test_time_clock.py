"""Time activities into clock records: work dates by each punch's own zone (a night shift, the
day Chicago leaves daylight time, another zone), open shifts, breaks to the shift that holds
them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.connecteam.models import UserTimeActivity
from services.connecteam.time_clock import clock_records


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def point(ts: int, zone: str = "America/Chicago") -> dict[str, Any]:
    return {"timestamp": ts, "timezone": zone}


def activity(user_id: int, shifts: list[dict[str, Any]], breaks: list[dict[str, Any]]) -> Any:
    return UserTimeActivity.model_validate(
        {"userId": user_id, "shifts": shifts, "manualBreaks": breaks}
    )


def test_work_dates_open_shifts_and_breaks() -> None:
    converted = clock_records([
        activity(1, [
            # 22:00-06:00 in Chicago: a night shift belongs to the day it started
            {"id": "night", "start": point(at(2026, 11, 21, 4)), "end": point(at(2026, 11, 21, 12))},
            # 00:30 CDT on 2026-11-01, out at 08:00 CST: 8.5 hours (7.5 on the wall), one work date
            {"id": "dst", "start": point(at(2026, 11, 1, 5, 30)), "end": point(at(2026, 11, 1, 14))},
        ], [
            {"id": "b1", "manualBreakId": "m", "start": point(at(2026, 11, 21, 8)),
             "end": point(at(2026, 11, 21, 8, 30))},
            {"id": "b2", "manualBreakId": "m", "start": point(at(2026, 11, 22, 8))},  # no shift
        ]),
        activity(2, [
            # 00:30 on the 21st in New York is 23:30 on the 20th in Chicago: the punch's zone
            {"id": "east", "start": point(at(2026, 11, 21, 5, 30), "America/New_York")},
        ], [
            {"id": "b3", "manualBreakId": "m", "start": point(at(2026, 11, 21, 6))},  # still on it
        ]),
    ])  # fmt: skip

    shown = [(r.shift_id, r.user_id, r.work_date, r.clock_out is None, len(r.breaks))
             for r in converted.records]  # fmt: skip
    assert shown == [
        ("dst", 1, date(2026, 11, 1), False, 0),
        ("night", 1, date(2026, 11, 20), False, 1),
        ("east", 2, date(2026, 11, 21), True, 1),
    ]
    dst = converted.records[0]
    assert dst.clock_out is not None
    assert (dst.clock_out - dst.clock_in).total_seconds() == 8.5 * 3600
    assert converted.records[1].breaks == [
        (datetime(2026, 11, 21, 8, tzinfo=UTC), datetime(2026, 11, 21, 8, 30, tzinfo=UTC))
    ]
    assert converted.orphan_breaks == 1
