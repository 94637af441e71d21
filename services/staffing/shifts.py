"""A team's scheduled shifts (synced from Connecteam), read by work date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import ScheduledShift


async def team_schedule(
    *,
    session: AsyncSession,
    team_id: int,
    start: date,
    end: date,
    employee_id: int | None = None,  # one employee's shifts only
) -> Sequence[ScheduledShift]:
    """Down ``ix_scheduled_shifts_team_id_work_date``, in order of start."""
    statement = select(ScheduledShift).where(
        ScheduledShift.team_id == team_id, ScheduledShift.work_date.between(start, end)
    )
    if employee_id is not None:
        statement = statement.where(ScheduledShift.employee_id == employee_id)
    order = (ScheduledShift.start, ScheduledShift.employee_id, ScheduledShift.id)
    return (
        await session.scalars(dated(statement.order_by(*order), "scheduled_shifts", (start, end)))
    ).all()
