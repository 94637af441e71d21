"""A time-clock sync's writes: what it read from Connecteam, one work date per transaction
(each day before or after, never half-synced, its scores refreshed with it)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from services.connecteam.clock_sync import DaySynced, apply_day, wanted_by_day
from services.connecteam.models import UserTimeActivity
from services.connecteam.people import mapped_people
from services.connecteam.time_clock import clock_records

log = logging.getLogger(__name__)

SUMMED = ("created", "updated", "deleted", "kept_corrected", "redated")


async def write_days(
    *,
    db: Database,
    activities: Sequence[UserTimeActivity],
    first: date,
    last: date,
    now: datetime,
    company_timezone: str,
    idle_threshold: timedelta,
    goal: float,
) -> dict[str, Any]:
    """Every work date from ``first`` to ``last``, and any other a fetched shift moved to,
    as Connecteam has it; the run's counts."""
    records = clock_records(activities)
    people = await db.read(lambda session: mapped_people(session, company_timezone))
    by_day, unmapped = wanted_by_day(records.records, people)
    fetched = frozenset(r.shift_id for r in records.records)
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)} | set(by_day)
    total = DaySynced()
    for day in sorted(days):
        done = await _write_day(
            db,
            lambda session, day=day: apply_day(  # type: ignore[misc]
                session=session,
                day=day,
                wanted=by_day.get(day, []),
                fetched_ids=fetched,
                in_range=first <= day <= last,
                people=people,
                now=now,
                idle_threshold=idle_threshold,
                goal=goal,
            ),
        )
        for name in SUMMED:
            setattr(total, name, getattr(total, name) + getattr(done, name))
        total.refreshed |= done.refreshed
    return {
        "shifts": len(records.records),
        "unmapped": unmapped,
        "orphan_breaks": records.orphan_breaks,
        **{name: getattr(total, name) for name in SUMMED},
        "refreshed": sorted(d.isoformat() for d in total.refreshed),
    }


async def _write_day(
    db: Database, apply: Callable[[AsyncSession], Awaitable[DaySynced]]
) -> DaySynced:
    """One work date's transaction. Another sync of the same day (the 5-minute tick and a
    backfill, on two workers) may insert one of its new shifts first: the unique key refuses
    ours, and the day is read and applied once more in a new transaction, which finds the
    shift there instead of failing the whole run."""
    try:
        return await db.write(apply)
    except IntegrityError:
        log.info("sync_time_clock: a concurrent sync wrote the same shift; the day again")
        return await db.write(apply)
