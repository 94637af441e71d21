"""When each periodic job is due, as pure functions of company time.

A tick names the slot a message is for (``"2026-11-22T10:05"``, company time). Only the
latest slot of an interval job is due: a scheduler that was down does not enqueue the slots
it missed, which are stale. Daily jobs catch up instead: ``finalize_day`` for every missed day
of the last week that is not final yet is the caller's list to give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.jobs import Job

REFRESH_EVERY = timedelta(minutes=5)
SCHEDULES_EVERY = 30  # minutes
FINALIZE_AT = time(18, 0)
REPORTS_AT = time(18, 30)
ROLLOVER_AT = time(0, 5)
SYNC_USERS_AT = time(2, 0)
# Jobs ``due`` never names: only a write or an admin asks for them (every other job is due).
ON_DEMAND: frozenset[Job] = frozenset()


@dataclass(frozen=True)
class Due:
    job: Job
    tick: str
    args: tuple[str, ...]  # the actor's arguments, tick last

    @property
    def key(self) -> str:
        return f"{self.job}:{'/'.join(self.args)}"


def tick_of(slot: datetime) -> str:
    return slot.strftime("%Y-%m-%dT%H:%M")


def due(now: datetime, unfinalized: list[date]) -> list[Due]:
    """What is due at ``now`` (company time): the current 5-minute refresh of today and sync of
    the time clock, and on the half hour the schedules' sync; the
    finalization of each earlier day in ``unfinalized`` (days whose scores are not final yet,
    found by the caller) and of today once it is 18:00 (a day's finalization has one tick,
    18:00 of that day, whenever it runs); each such day's reports and KPIs pushed to
    Connecteam (today's from 18:30, tick 18:30); and the day's rollover from 00:05."""
    minute = now.replace(second=0, microsecond=0)
    slot = minute - timedelta(minutes=minute.minute % 5)
    today = slot.date()
    found = [
        Due(Job.REFRESH_SCORES, tick_of(slot), (today.isoformat(), tick_of(slot))),
        Due(Job.SYNC_TIME_CLOCK, tick_of(slot), (tick_of(slot),)),  # yesterday and today
    ]
    if slot.minute % SCHEDULES_EVERY == 0:  # the next 14 days
        found.append(Due(Job.SYNC_SCHEDULES, tick_of(slot), (tick_of(slot),)))
    days = {day for day in unfinalized if day < today}
    if slot.time() >= FINALIZE_AT:
        days.add(today)
    for day in sorted(days):
        tick = tick_of(datetime.combine(day, FINALIZE_AT))
        found.append(Due(Job.FINALIZE_DAY, tick, (day.isoformat(), tick)))
    reported = {day for day in days if day < today} | (
        {today} if slot.time() >= REPORTS_AT else set()
    )
    for day in sorted(reported):  # after its finalization (the jobs wait for it if need be)
        tick = tick_of(datetime.combine(day, REPORTS_AT))
        found.append(Due(Job.BUILD_DAILY_REPORTS, tick, (day.isoformat(), tick)))
        found.append(Due(Job.PUSH_PERFORMANCE, tick, (day.isoformat(), tick)))
    for job, at in ((Job.DAILY_ROLLOVER, ROLLOVER_AT), (Job.SYNC_USERS, SYNC_USERS_AT)):
        if slot.time() >= at:  # once a day, any time after its hour: the tick dedupes
            tick = tick_of(datetime.combine(today, at))
            found.append(Due(job, tick, (tick,)))
    return found
