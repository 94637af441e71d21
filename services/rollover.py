"""The daily rollover: flag the clock records somebody forgot to close (at 00:05 company time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ClockRecord, Employee, Flag
from services.flags import FlagStatus, OpenRecord, forgotten_clock_outs
from services.scores import MAX_SHIFT

FLAGS: Table = Flag.__table__  # type: ignore[assignment]


async def flag_forgotten_clock_outs(*, session: AsyncSession, now: datetime) -> dict[str, Any]:
    """One SELECT of the open records past the cap, one INSERT of the flags not raised yet
    (unique rule and subject: running it again raises nothing new)."""
    rows = await session.execute(
        select(ClockRecord.id, ClockRecord.employee_id, Employee.team_id, ClockRecord.clock_in,
               ClockRecord.work_date)
        .join(Employee, Employee.id == ClockRecord.employee_id)
        .where(ClockRecord.clock_out.is_(None), ClockRecord.clock_in < now - MAX_SHIFT,
               ClockRecord.voided_at.is_(None))
    )  # fmt: skip
    records = [OpenRecord(*row) for row in rows]
    values = [
        {"rule": flag.rule.value, "subject_key": flag.subject_key,
         "employee_id": record.employee_id, "team_id": record.team_id,
         "work_date": record.work_date, "status": FlagStatus.OPEN.value, "details": flag.details,
         "created_at": now}
        for record, flag in forgotten_clock_outs(records, now)
    ]  # fmt: skip
    raised = 0
    if values:
        statement = insert(FLAGS).prefix_with("IGNORE", dialect="mysql")
        result = await session.execute(statement.prefix_with("OR IGNORE", dialect="sqlite"), values)
        raised = result.rowcount  # type: ignore[attr-defined]
    return {"open_records_past_cap": len(records), "flags_raised": raised}
