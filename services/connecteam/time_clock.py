"""Connecteam's time activities as clock records: pure, for ``sync_time_clock``.

A shift is a clock record keyed by Connecteam's shift id; without ``end`` the user is still
clocked in. Its work date is the local date of its clock-in in the punch's own IANA zone (a
night shift belongs to the day it started; a DST day is whatever length it is). A manual
break belongs to the shift of the same user that holds its start; one that no shift holds is
left out and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.connecteam.models import TimePoint, UserTimeActivity

Break = tuple[datetime, datetime | None]


@dataclass
class ClockIn:
    shift_id: str
    user_id: int
    clock_in: datetime  # UTC
    clock_out: datetime | None  # UTC; None while clocked in
    work_date: date
    breaks: list[Break] = field(default_factory=list)


@dataclass
class Converted:
    records: list[ClockIn]
    orphan_breaks: int  # breaks no shift of their user holds


def instant(point: TimePoint) -> datetime:
    return datetime.fromtimestamp(point.timestamp, UTC)


def local_date(point: TimePoint) -> date:
    return datetime.fromtimestamp(point.timestamp, ZoneInfo(point.timezone)).date()


def clock_records(activities: Sequence[UserTimeActivity]) -> Converted:
    records: list[ClockIn] = []
    orphans = 0
    for user in activities:
        mine = [
            ClockIn(
                shift_id=shift.id,
                user_id=user.user_id,
                clock_in=instant(shift.start),
                clock_out=instant(shift.end) if shift.end is not None else None,
                work_date=local_date(shift.start),
            )
            for shift in user.shifts
        ]
        for pause in user.manual_breaks:
            start = instant(pause.start)
            end = instant(pause.end) if pause.end is not None else None
            holder = next(
                (
                    r
                    for r in mine
                    if r.clock_in <= start and (r.clock_out is None or start < r.clock_out)
                ),
                None,
            )
            if holder is None:
                orphans += 1
            else:
                holder.breaks.append((start, end))
        records += mine
    for record in records:
        record.breaks.sort()
    return Converted(sorted(records, key=lambda r: (r.user_id, r.clock_in)), orphans)
