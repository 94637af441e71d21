"""Corrections by admins, each in one transaction with the refresh of the days it touches."""

from __future__ import annotations

from datetime import timedelta

from db.models import Activity, ClockRecord
from resolvers.context import Context
from services import corrections
from services.corrections import ActivityFix, ClockFix, Scoring


def _scoring(ctx: Context) -> Scoring:
    return Scoring(
        now=ctx.now,
        idle_threshold=timedelta(minutes=ctx.settings.idle_threshold_minutes),
        company_timezone=ctx.settings.timezone,
        productivity_goal=ctx.settings.productivity_goal,
    )


async def void_activity(ctx: Context, activity_id: int, reason: str) -> Activity:
    return await ctx.db.write(
        lambda session: corrections.void_activity(
            session=session,
            actor=ctx.viewer,
            activity_id=activity_id,
            reason=reason,
            scoring=_scoring(ctx),
        )
    )


async def correct_activity(ctx: Context, fix: ActivityFix) -> Activity:
    return await ctx.db.write(
        lambda session: corrections.correct_activity(
            session=session, actor=ctx.viewer, fix=fix, scoring=_scoring(ctx)
        )
    )


async def correct_clock_record(ctx: Context, fix: ClockFix) -> ClockRecord:
    return await ctx.db.write(
        lambda session: corrections.correct_clock_record(
            session=session, actor=ctx.viewer, fix=fix, scoring=_scoring(ctx)
        )
    )


async def void_clock_record(ctx: Context, record_id: int, reason: str) -> ClockRecord:
    return await ctx.db.write(
        lambda session: corrections.void_clock_record(
            session=session,
            actor=ctx.viewer,
            record_id=record_id,
            reason=reason,
            scoring=_scoring(ctx),
        )
    )
