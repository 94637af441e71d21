"""What a Connecteam sync reads, and the runs a sync asked for is made of: the one place that
knows a sync's default dates, its longest range and its 31-day chunks, for ``triggerSync``
and for the jobs alike."""

from __future__ import annotations

from datetime import date, timedelta

from services.connecteam.client import day_chunks
from services.connecteam.runs import Planned, SyncKind, run_key
from services.errors import BadInput

SCHEDULE_AHEAD = timedelta(days=14)  # a schedules sync reads today and the next 13 days
MAX_BACKFILL = timedelta(days=366)
MAX_SCHEDULE_WINDOW = timedelta(days=92)


def span(kind: SyncKind, today: date, start: date | None, end: date | None) -> tuple[date, date]:
    """The work dates a time-clock or schedules sync reads, both included: ``start`` to
    ``end``, by default yesterday and today (the time clock) or today and the next 13 days
    (the schedules); BadInput when they are the wrong way round or too far apart."""
    if kind is SyncKind.TIME_CLOCK:
        last = end or today
        first = start or min(last, today) - timedelta(days=1)
        longest, refusal = MAX_BACKFILL, "a time-clock sync spans at most 366 days"
    else:
        first = start or today
        last = end or first + SCHEDULE_AHEAD - timedelta(days=1)
        longest, refusal = MAX_SCHEDULE_WINDOW, "a schedules sync spans at most 92 days"
    if first > last:
        raise BadInput("`from` must not be after `to`", field="from")
    if last - first >= longest:
        raise BadInput(refusal, field="to")
    return first, last


def plan(
    kind: SyncKind, tick: str, today: date, start: date | None, end: date | None
) -> list[Planned]:
    """The runs of a sync asked for at ``tick``, each with its message: a full users sync;
    the time clock's range in chunks of at most 31 days (a run each); the schedules' window
    in one run (a window of shifts is read and reconciled at once)."""
    if kind is SyncKind.USERS:
        if start is not None or end is not None:
            raise BadInput("a users sync reads every user: it takes no range", field="from")
        return [Planned(tick, args=(tick, True))]  # a full run
    first, last = span(kind, today, start, end)
    chunks = day_chunks(first, last) if kind is SyncKind.TIME_CLOCK else [(first, last)]
    return [
        Planned(run_key(tick, a), a, b, args=(tick, a.isoformat(), b.isoformat()))
        for a, b in chunks
    ]
