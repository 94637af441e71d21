"""Which work dates are final (every score of the day ``is_final``, set by ``finalize_day``):
the check a job that needs a final day makes first, and the days the scheduler still has to
finalize. Below ``services.finalization``, which builds a rescored day's reports, and
``services.daily_reports``, which needs its day final."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DailyScore
from services.errors import NotFinal


async def require_final(*, session: AsyncSession, work_date: date) -> None:
    """NotFinal (the job fails, and is retried) while a score of ``work_date`` is not final
    (one statement)."""
    open_scores = await session.scalar(
        select(func.count())
        .select_from(DailyScore)
        .where(DailyScore.work_date == work_date, DailyScore.is_final.is_(False))
    )
    if open_scores:
        raise NotFinal(f"{open_scores} scores of {work_date} are not final yet")


async def unfinalized_days(*, session: AsyncSession, today: date, back: int) -> list[date]:
    """The days before ``today``, at most ``back`` days ago, with a score not final yet."""
    rows = await session.scalars(
        select(DailyScore.work_date)
        .where(
            DailyScore.is_final.is_(False),
            DailyScore.work_date < today,
            DailyScore.work_date >= today - timedelta(days=back),
        )
        .distinct()
    )
    return list(rows)
