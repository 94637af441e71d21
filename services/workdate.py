"""Work dates: a local calendar date in a team's timezone, computed in Python, never in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.scores import ClockSample, clock_interval

ClockSpan = tuple[datetime, datetime | None, date]  # clock in, clock out, work date


def local_date(instant: datetime, timezone: str) -> date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def seconds_until_tomorrow(instant: datetime, timezone: str) -> float:
    """Until the next local midnight (a day of 23 or 25 hours included)."""
    zone = ZoneInfo(timezone)
    tomorrow = local_date(instant, timezone) + timedelta(days=1)
    midnight = datetime.combine(tomorrow, time(0), tzinfo=zone)
    return (midnight - instant).total_seconds()


def activity_work_date(
    start: datetime, clocks: Sequence[ClockSpan], timezone: str, now: datetime
) -> date:
    """The work date of the clock record whose interval holds ``start`` (a night shift stays
    one day); when none does, the local date of ``start`` in the team's zone. ``clocks`` are
    live records: callers leave void ones out."""
    for clock_in, clock_out, work_date in clocks:
        begin, end = clock_interval(ClockSample(clock_in, clock_out), now)
        if begin <= start < end:
            return work_date
    return local_date(start, timezone)
