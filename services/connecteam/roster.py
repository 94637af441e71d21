"""What admins see of Connecteam's users and do with them: the users no employee could be
chosen for automatically, and ``mapEmployee`` (by hand, audited)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConnecteamUser, Employee
from services import audit
from services.authentication import Viewer
from services.errors import BadInput, Conflict, NotFound

USER_ID = re.compile(r"[0-9]{1,20}")


async def listed_users(*, session: AsyncSession) -> Sequence[ConnecteamUser]:
    """Users waiting for an admin (not archived, no employee), by name."""
    return (
        await session.scalars(
            select(ConnecteamUser)
            .where(ConnecteamUser.unmatched.is_not(None), ConnecteamUser.archived.is_(False))
            .order_by(ConnecteamUser.full_name, ConnecteamUser.user_id)
        )
    ).all()


async def map_employee(
    *, session: AsyncSession, actor: Viewer, employee_id: int, user_id: str
) -> Employee:
    """The employee is Connecteam user ``user_id`` from now on; audited."""
    if not USER_ID.fullmatch(user_id):
        raise BadInput("a Connecteam user id is its number", field="connecteamUserId")
    row = await session.scalar(select(Employee).where(Employee.id == employee_id).with_for_update())
    if row is None:
        raise NotFound("no such employee", field="employeeId")
    taken = await session.scalar(
        select(Employee.id).where(Employee.connecteam_user_id == user_id, Employee.id != row.id)
    )
    if taken is not None:
        raise Conflict(f"Connecteam user {user_id} is another employee's", field="connecteamUserId")
    if row.connecteam_user_id != user_id:
        before = audit.snapshot(row)
        row.connecteam_user_id = user_id
        await session.flush()
        await audit.record(session=session, actor=actor, action="map", row=row, before=before)
    await session.execute(
        update(ConnecteamUser)
        .where(ConnecteamUser.user_id == user_id)
        .values(employee_id=row.id, unmatched=None)
    )
    return row
