"""The employees mapped to Connecteam users, as the syncs need them: by user id, with each
one's team and zone (one statement)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee, Team


@dataclass(frozen=True)
class People:
    employee_of: Mapping[int, int]  # Connecteam user id → employee id
    team_of: Mapping[int, int | None]  # employee id → team id
    zone_of: Mapping[int, str]  # employee id → the team's zone, or the company's
    company_timezone: str

    def zone(self, employee_id: int) -> str:
        return self.zone_of.get(employee_id, self.company_timezone)


async def mapped_people(session: AsyncSession, company_timezone: str) -> People:
    rows = (
        await session.execute(
            select(Employee.id, Employee.connecteam_user_id, Employee.team_id, Team.timezone)
            .outerjoin(Team, Team.id == Employee.team_id)
            .where(Employee.connecteam_user_id.is_not(None))
        )
    ).all()
    return People(
        employee_of={int(r.connecteam_user_id): r.id for r in rows
                     if r.connecteam_user_id.isdigit()},
        team_of={r.id: r.team_id for r in rows},
        zone_of={r.id: r.timezone or company_timezone for r in rows},
        company_timezone=company_timezone,
    )  # fmt: skip
