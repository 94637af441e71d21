"""Connecteam's shifts into clock records, one work date per transaction.

``apply_day`` makes the day's Connecteam clock records what Connecteam says (``wanted``, the
shifts of mapped users whose work date it is): new shifts are inserted, changed ones updated
with their breaks replaced, shifts gone from Connecteam deleted. A record an admin corrected
(``source`` no longer ``connecteam``) is left alone. Then the employees' activities whose
start a changed record held, before or after, are dated again, and every work date
whose clock data or activities changed is refreshed in the same transaction: a day is never
half-synced, and a day that did not change costs one SELECT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, ClockBreak, ClockRecord
from services.bulk import update_by_id
from services.connecteam.people import People
from services.connecteam.time_clock import Break, ClockIn
from services.finalization import rescore_day
from services.scores import ClockSample, clock_interval
from services.workdate import Placed, redate

SOURCE = "connecteam"
RECORDS: Table = ClockRecord.__table__  # type: ignore[assignment]
BREAKS: Table = ClockBreak.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Wanted:
    """A shift as this database keeps it: for an employee, on a work date, with its breaks."""

    shift_id: str
    employee_id: int
    clock_in: datetime
    clock_out: datetime | None
    work_date: date
    breaks: tuple[Break, ...]


@dataclass
class DaySynced:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept_corrected: int = 0  # shifts an admin's correction overrides
    redated: int = 0  # activities moved to another work date
    refreshed: set[date] = field(default_factory=set)


def wanted_by_day(
    records: Sequence[ClockIn], people: People
) -> tuple[dict[date, list[Wanted]], int]:
    """The shifts of mapped users by work date, and how many belong to nobody here yet."""
    days: dict[date, list[Wanted]] = defaultdict(list)
    unmapped = 0
    for r in records:
        employee_id = people.employee_of.get(r.user_id)
        if employee_id is None:
            unmapped += 1
            continue
        days[r.work_date].append(
            Wanted(r.shift_id, employee_id, r.clock_in, r.clock_out, r.work_date, tuple(r.breaks))
        )
    return days, unmapped


@dataclass(frozen=True)
class _Kept:
    id: int
    source: str
    wanted: Wanted  # as it is stored


async def apply_day(
    *,
    session: AsyncSession,
    day: date,
    wanted: Sequence[Wanted],
    fetched_ids: frozenset[str],
    in_range: bool,
    people: People,
    now: datetime,
    idle_threshold: timedelta,
    goal: float,
) -> DaySynced:
    """``wanted``: the day's shifts; ``fetched_ids``: every shift id the sync read (a record of
    this day that moved to another is not deleted here); ``in_range``: whether the sync read
    the whole day from Connecteam (only then may records missing from it be deleted)."""
    done = DaySynced()
    kept = await _stored(session, day, [w.shift_id for w in wanted])
    gone = [
        k
        for k in kept.values()
        if k.source == SOURCE
        and k.wanted.work_date == day
        and k.wanted.shift_id not in fetched_ids
        and in_range
    ]
    new = [w for w in wanted if w.shift_id not in kept]
    changed = [
        (kept[w.shift_id], w)
        for w in wanted
        if w.shift_id in kept and kept[w.shift_id].source == SOURCE and kept[w.shift_id].wanted != w
    ]
    done.kept_corrected = sum(
        1 for w in wanted if w.shift_id in kept and kept[w.shift_id].source != SOURCE
    )
    if not (gone or new or changed):
        return done
    days = {k.wanted.work_date for k in gone} | {w.work_date for w in new}
    days |= {d for was, w in changed for d in (was.wanted.work_date, w.work_date)}
    before = [k.wanted for k in gone] + [was.wanted for was, _ in changed]
    replaced = [k.id for k in gone] + [was.id for was, _ in changed]
    if replaced:
        await session.execute(
            dated(
                delete(ClockBreak).where(ClockBreak.clock_record_id.in_(replaced)),
                "clock_breaks",
                days,
            )
        )
    if gone:
        await session.execute(
            dated(
                delete(ClockRecord).where(ClockRecord.id.in_([k.id for k in gone])),
                "clock_records",
                days,
            )
        )
    fields = ("employee_id", "clock_in", "clock_out", "work_date")
    rows = [{"id": was.id, **{f: getattr(w, f) for f in fields}} for was, w in changed]
    for statement in update_by_id(RECORDS, rows, updated_at=now):
        await session.execute(dated(statement, "clock_records", days))
    ids = {was.wanted.shift_id: was.id for was, _ in changed}
    if new:
        await session.execute(
            dated(insert(RECORDS), "clock_records", days),
            [
                {
                    "employee_id": w.employee_id,
                    "clock_in": w.clock_in,
                    "clock_out": w.clock_out,
                    "work_date": w.work_date,
                    "source": SOURCE,
                    "external_id": w.shift_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for w in new
            ],
        )
        made = await session.execute(
            select(ClockRecord.external_id, ClockRecord.id).where(
                ClockRecord.external_id.in_([w.shift_id for w in new])
            )
        )
        ids |= {shift_id: record_id for shift_id, record_id in made if shift_id is not None}
    breaks = [
        {"clock_record_id": ids[w.shift_id], "start": start, "end": end}
        for w in [*new, *(w for _, w in changed)]
        for start, end in w.breaks
    ]
    if breaks:
        await session.execute(dated(insert(BREAKS), "clock_breaks", days), breaks)
    done.created, done.updated, done.deleted = len(new), len(changed), len(gone)
    after = new + [w for _, w in changed]
    moved, touched = await _redate(
        session, before, after, [ids[w.shift_id] for w in after], people, now
    )
    done.redated = moved
    days |= touched
    for refreshed in sorted(days):  # a finalized day too: Connecteam's word is the correction
        await rescore_day(
            session=session,
            work_date=refreshed,
            now=now,
            idle_threshold=idle_threshold,
            goal=goal,
        )
    done.refreshed = days
    return done


async def _stored(session: AsyncSession, day: date, shift_ids: list[str]) -> dict[str, _Kept]:
    """The day's Connecteam records, and any record of these shifts (one may have moved days),
    with their breaks: one statement."""
    found = or_(
        and_(ClockRecord.work_date == day, ClockRecord.source == SOURCE),
        ClockRecord.external_id.in_(shift_ids) if shift_ids else false(),
    )
    rows = (
        await session.execute(
            select(
                ClockRecord.id,
                ClockRecord.source,
                ClockRecord.external_id,
                ClockRecord.employee_id,
                ClockRecord.clock_in,
                ClockRecord.clock_out,
                ClockRecord.work_date,
                ClockBreak.start,
                ClockBreak.end,
            )
            .outerjoin(ClockBreak, ClockBreak.clock_record_id == ClockRecord.id)
            .where(found, ClockRecord.external_id.is_not(None))
            .order_by(ClockRecord.id, ClockBreak.start)
        )
    ).all()
    heads: dict[str, Any] = {}
    breaks: dict[str, list[Break]] = defaultdict(list)
    for r in rows:
        heads.setdefault(r.external_id, r)
        if r.start is not None:
            breaks[r.external_id].append((r.start, r.end))
    return {
        shift_id: _Kept(
            h.id,
            h.source,
            Wanted(shift_id, h.employee_id, h.clock_in, h.clock_out, h.work_date,
                   tuple(sorted(breaks[shift_id]))),
        )
        for shift_id, h in heads.items()
    }  # fmt: skip


async def _redate(
    session: AsyncSession,
    before: Sequence[Wanted],
    after: Sequence[Wanted],
    after_ids: Sequence[int],
    people: People,
    now: datetime,
) -> tuple[int, set[date]]:
    """Date again the activities a changed record held before or holds now; how many moved,
    and the work dates they left and joined. Candidates: those a record holds now under
    another date (one joined statement), and those an old interval held under its date."""
    candidates: dict[int, Placed] = {}
    if after_ids:
        held = (
            await session.execute(
                select(Activity.id, Activity.employee_id, Activity.window_start, Activity.work_date)
                .join(
                    ClockRecord,
                    and_(
                        ClockRecord.employee_id == Activity.employee_id,
                        Activity.window_start >= ClockRecord.clock_in,
                        Activity.window_start < func.coalesce(ClockRecord.clock_out, now),
                    ),
                )
                .where(ClockRecord.id.in_(after_ids), Activity.work_date != ClockRecord.work_date)
                .where(ClockRecord.voided_at.is_(None))
            )
        ).all()
        candidates |= {r.id: Placed(*r) for r in held}
    if before:
        spans = [(w, *clock_interval(ClockSample(w.clock_in, w.clock_out), now)) for w in before]
        was = (
            await session.execute(
                select(
                    Activity.id, Activity.employee_id, Activity.window_start, Activity.work_date
                ).where(
                    Activity.employee_id.in_({w.employee_id for w in before}),
                    Activity.window_start >= min(s for _, s, _ in spans),
                    Activity.window_start < max(e for _, _, e in spans),
                    Activity.work_date.in_({w.work_date for w in before}),
                )
            )
        ).all()
        for r in was:
            if any(
                w.employee_id == r.employee_id
                and w.work_date == r.work_date
                and s <= r.window_start < e
                for w, s, e in spans
            ):
                candidates[r.id] = Placed(*r)
    done = await redate(
        session=session, activities=list(candidates.values()), zone=people.zone, now=now
    )
    return done.moved, done.days
