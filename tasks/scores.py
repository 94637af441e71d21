"""Score jobs: refreshing a work date, making it final, and the daily rollover. Messages
carry the tick (and the date), never ``now``: the same message computes the same rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import finalization
from services.daily_reports import build_reports
from services.jobs import Job, run_job
from services.rollover import flag_forgotten_clock_outs
from services.score_refresh import refresh_day
from tasks.runtime import current


async def refresh_scores(work_date: str, tick: str, rescore_final: bool = False) -> None:
    """The day's scores, idle periods and flags; final scores are left alone unless
    ``rescore_final`` (``recalculateScores``: a finalized day is scored again and stays final,
    its streaks, badges and reports following)."""
    runtime, day = current(), date.fromisoformat(work_date)
    now = runtime.instant(tick)

    async def work(session: AsyncSession) -> dict[str, Any]:
        if rescore_final:
            refreshed = await finalization.rescore_day(
                session=session,
                work_date=day,
                now=now,
                idle_threshold=runtime.idle_threshold,
                goal=runtime.settings.productivity_goal,
            )
        else:
            refreshed = await refresh_day(
                session=session,
                work_date=day,
                now=now,
                idle_threshold=runtime.idle_threshold,
                goal=runtime.settings.productivity_goal,
            )
        return {k: v for k, v in asdict(refreshed).items() if k != "work_date"}

    await run_job(db=runtime.db, job=Job.REFRESH_SCORES, tick=f"{tick}/{work_date}", work=work)


async def finalize_day(work_date: str, tick: str) -> None:
    """The day's last refresh, then its scores are final (later refreshes leave them alone),
    then streaks and badges of everyone who has a score that day; one transaction."""
    runtime, day = current(), date.fromisoformat(work_date)
    now = runtime.instant(tick)

    async def work(session: AsyncSession) -> dict[str, Any]:
        done = await finalization.finalize_day(
            session=session,
            work_date=day,
            now=now,
            idle_threshold=runtime.idle_threshold,
            goal=runtime.settings.productivity_goal,
        )
        return {"scores": done.scores, "finalized": done.finalized, "streaks": done.streaks,
                "badges": done.badges}  # fmt: skip

    await run_job(db=runtime.db, job=Job.FINALIZE_DAY, tick=f"{tick}/{work_date}", work=work)


async def daily_rollover(tick: str) -> None:
    """After midnight: flag the clock records somebody forgot to close."""
    runtime = current()
    now = runtime.instant(tick)

    async def work(session: AsyncSession) -> dict[str, Any]:
        return await flag_forgotten_clock_outs(session=session, now=now)

    await run_job(db=runtime.db, job=Job.DAILY_ROLLOVER, tick=tick, work=work)


async def build_daily_reports(work_date: str, tick: str) -> None:
    """Each team's report of a finalized day; a day not final yet fails, and is retried."""
    runtime, day = current(), date.fromisoformat(work_date)
    now = runtime.instant(tick)

    async def work(session: AsyncSession) -> dict[str, Any]:
        return {"reports": await build_reports(session=session, work_date=day, now=now)}

    await run_job(db=runtime.db, job=Job.BUILD_DAILY_REPORTS, tick=f"{tick}/{work_date}", work=work)
