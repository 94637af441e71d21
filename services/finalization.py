"""Making a work date final: its last refresh (scores, idle periods, flags), then its scores
final (later refreshes leave them alone), then the streaks and badges of everyone with a score
that day. In the caller's transaction; the ``finalize_day`` job and the demo data both use it,
so a seeded week looks as the jobs would have left it.

And scoring a day again after a correction or for a recalculation (``rescore_day``): final
scores included, so corrected data reaches a finalized day too; the day stays final, and its
streaks, badges and kept reports follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import DailyScore
from services.daily_reports import build_reports
from services.gamification import settle_day
from services.score_refresh import Refreshed, refresh_day


@dataclass(frozen=True)
class Finalized:
    scores: int  # refreshed
    finalized: int  # scores made final now
    streaks: int
    badges: int
    flags_raised: int


async def finalize_day(
    *,
    session: AsyncSession,
    work_date: date,
    now: datetime,
    idle_threshold: timedelta,
    goal: float,
) -> Finalized:
    refreshed = await refresh_day(
        session=session, work_date=work_date, now=now, idle_threshold=idle_threshold, goal=goal
    )
    result = await session.execute(
        dated(
            update(DailyScore)
            .where(DailyScore.work_date == work_date, DailyScore.is_final.is_(False))
            # no figure changes, nor the instant they were computed at (what open clock
            # records counted up to: a score's explanation counts them to it again)
            .values(is_final=True, updated_at=DailyScore.updated_at),
            "daily_scores",
            {work_date},
        )
    )
    settled = await settle_day(session=session, work_date=work_date, goal=goal, now=now)
    return Finalized(
        scores=refreshed.scores,
        finalized=result.rowcount,  # type: ignore[attr-defined]
        streaks=settled.streaks,
        badges=settled.badges,
        flags_raised=refreshed.flags_raised,
    )


async def rescore_day(
    *,
    session: AsyncSession,
    work_date: date,
    now: datetime,
    idle_threshold: timedelta,
    goal: float,
) -> Refreshed:
    refreshed = await refresh_day(
        session=session,
        work_date=work_date,
        now=now,
        idle_threshold=idle_threshold,
        goal=goal,
        rescore_final=True,
    )
    if refreshed.rescored_final:  # a finalized day: what was settled from it follows
        await settle_day(session=session, work_date=work_date, goal=goal, now=now)
        await build_reports(session=session, work_date=work_date, now=now)
    return refreshed
