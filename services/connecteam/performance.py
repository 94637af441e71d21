"""Push-back (optional): a finalized day's KPIs of every mapped employee, written to
Connecteam's performance indicators the settings name. A PUT replaces a user's values of the
day, so a run repeated, or retried after dying half way, leaves Connecteam the same.

``push_day`` is the ``push_performance`` job's run: off (and recorded so) unless
``PRODHUB_CONNECTEAM_PERFORMANCE_INDICATORS`` names where; a day not final yet fails, and is
retried."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import PUSHED_KPIS, Settings
from db.engine import Database
from db.models import DailyScore, Employee
from services.connecteam.client import ConnecteamClient, ConnecteamError, from_settings
from services.final_days import require_final
from services.jobs import Job, run_job, skipped

CONCURRENCY = 4  # requests in flight: Connecteam's rate limits, not our speed, bound a push


@dataclass(frozen=True)
class DayKpis:
    user_id: int
    values: dict[int, float]  # indicator id → value


@dataclass
class Pushed:
    users: int = 0
    records: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # user id → Connecteam's reason


async def day_kpis(
    *, session: AsyncSession, work_date: date, indicators: Mapping[str, int]
) -> list[DayKpis]:
    """The mapped employees' final scores of the day (two statements)."""
    await require_final(session=session, work_date=work_date)
    columns = {kpi: getattr(DailyScore, PUSHED_KPIS[kpi]) for kpi in indicators}
    rows = (
        await session.execute(
            select(Employee.connecteam_user_id, *columns.values())
            .join(Employee, Employee.id == DailyScore.employee_id)
            .where(DailyScore.work_date == work_date, Employee.connecteam_user_id.is_not(None))
            .order_by(Employee.connecteam_user_id)
        )
    ).all()
    found = []
    for user_id, *values in rows:
        if not str(user_id).isdigit():
            continue
        kept = {indicators[kpi]: round(float(v), 2)
                for kpi, v in zip(columns, values, strict=True) if v is not None}  # fmt: skip
        found.append(DayKpis(int(user_id), kept))
    return found


async def push(client: ConnecteamClient, work_date: date, kpis: list[DayKpis]) -> Pushed:
    """Every user's values, a few at a time. A user Connecteam refuses (a 4xx: archived,
    unknown) is reported and skipped; anything else fails the push, to be retried whole."""
    done = Pushed()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(user: DayKpis) -> None:
        async with gate:
            try:
                records = await client.put_performance(user.user_id, work_date, user.values)
                done.records, done.users = done.records + records, done.users + 1
            except ConnecteamError as failed:
                if failed.status is None:
                    raise
                done.refused[str(user.user_id)] = str(failed)

    async with asyncio.TaskGroup() as group:
        for user in kpis:
            if user.values:
                group.create_task(one(user))
    return done


async def push_day(*, db: Database, settings: Settings, work_date: date, key: str) -> None:
    """The ``push_performance`` run ``key``: the day's KPIs pushed, recorded in ``job_runs``
    with what Connecteam was asked (a failure recorded, then raised for a retry)."""
    indicators = settings.connecteam_performance_indicators
    client = from_settings(settings)
    if client is None or not indicators:

        async def off(session: AsyncSession) -> dict[str, Any]:
            return {"pushed": False, "configured": client is not None}

        if client is not None:
            await client.aclose()
        await run_job(db=db, job=Job.PUSH_PERFORMANCE, tick=key, work=off)
        return
    if await skipped(db, Job.PUSH_PERFORMANCE, key):
        await client.aclose()
        return
    failure: Exception | None = None
    async with client:
        try:
            kpis = await db.read(
                lambda session: day_kpis(
                    session=session, work_date=work_date, indicators=indicators
                )
            )
            pushed = await push(client, work_date, kpis)
        except Exception as failed:  # recorded as the run's failure below, then retried
            failure = failed
        used = client.usage()

    async def record(session: AsyncSession) -> dict[str, Any]:
        if failure is not None:
            raise failure
        return asdict(pushed) | used

    await run_job(db=db, job=Job.PUSH_PERFORMANCE, tick=key, work=record)
