"""Connecteam users into employees, set-based and in the caller's transaction.

Every user seen is kept in ``connecteam_users``. Each one is then an employee: the one already
mapped to it, else the one it matches (``services.connecteam.mapping``), else (when it matches
nobody and is not archived) a new employee, coded ``CT-<user id>`` until an admin gives it its
badge. A user that matches several employees, or an employee another user matches too, is
left to an admin (``unmatched`` says why). Mapped employees take Connecteam's name and email;
an archived user's employee becomes inactive, never deleted. The mappings it makes and the
employees it creates are audited. Running it again with the same users changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, ConnecteamUser, Employee
from services.bulk import update_by_id
from services.connecteam.mapping import Person, Why, match
from services.connecteam.models import User

ROSTER: Table = ConnecteamUser.__table__  # type: ignore[assignment]
AUDIT: Table = AuditLog.__table__  # type: ignore[assignment]
SYNC_ACTOR = "connecteam sync"
EMPLOYEES: Table = Employee.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class UsersSynced:
    users: int
    created: int  # new employees
    matched: int  # existing employees mapped now
    updated: int  # employees whose name, email, activity or mapping changed
    listed: int  # users left to an admin


async def apply_users(
    *, session: AsyncSession, users: Sequence[User], now: datetime
) -> UsersSynced:
    people = (
        await session.execute(
            select(Employee.id, Employee.name, Employee.email, Employee.connecteam_user_id,
                   Employee.active)
        )
    ).all()  # fmt: skip
    found = match(users, [Person(p.id, p.name, p.email, p.connecteam_user_id) for p in people])
    current = {p.id: p for p in people}
    employee_of = found.mapped | found.matched
    created = await _create(session, [u for u in users if _new(u, found.unmatched)], now)
    employee_of |= created
    changes = []
    for user in users:
        employee_id = employee_of.get(user.user_id)
        if employee_id is None or employee_id not in current:
            continue
        wanted = {"name": user.full_name, "email": user.email, "active": not user.is_archived,
                  "connecteam_user_id": str(user.user_id)}  # fmt: skip
        was = current[employee_id]
        if any(getattr(was, k) != v for k, v in wanted.items()):
            changes.append({"id": employee_id, **wanted})
    for statement in update_by_id(EMPLOYEES, changes, updated_at=now):  # 500 rows a statement
        await session.execute(statement)
    await _audit(session, found.matched, created, now)
    await _keep_roster(session, users, employee_of, found.unmatched, now)
    listed = sum(1 for u in users if u.user_id not in employee_of and not u.is_archived)
    return UsersSynced(len(users), len(created), len(found.matched), len(changes), listed)


async def _audit(
    session: AsyncSession, matched: dict[int, int], created: dict[int, int], now: datetime
) -> None:
    """The mappings the sync made, and the employees it created, in the audit log (one
    statement), as an admin's would be."""
    rows = [
        {"actor_user_id": None, "actor_label": SYNC_ACTOR, "action": action, "entity": "employees",
         "entity_id": str(employee_id), "before": before,
         "after": {"connecteam_user_id": str(user_id)}, "reason": reason, "created_at": now}
        for found, action, before, reason in (
            (matched, "map", {"connecteam_user_id": None}, "matched automatically"),
            (created, "create", None, "a Connecteam user no employee matched"),
        )
        for user_id, employee_id in sorted(found.items())
    ]  # fmt: skip
    if rows:
        await session.execute(insert(AUDIT), rows)


def _new(user: User, unmatched: dict[int, Why]) -> bool:
    return unmatched.get(user.user_id) is Why.NO_MATCH and not user.is_archived


async def _create(session: AsyncSession, users: Sequence[User], now: datetime) -> dict[int, int]:
    """New employees for ``users``; their ids by user id."""
    if not users:
        return {}
    rows = [
        {"code": f"CT-{u.user_id}", "name": u.full_name, "email": u.email, "active": True,
         "connecteam_user_id": str(u.user_id), "leaderboard_opt_out": False,
         "created_at": now, "updated_at": now}
        for u in users
    ]  # fmt: skip
    await session.execute(insert(EMPLOYEES), rows)
    made = await session.execute(
        select(Employee.connecteam_user_id, Employee.id).where(
            Employee.connecteam_user_id.in_([str(u.user_id) for u in users])
        )
    )
    return {int(user_id): employee_id for user_id, employee_id in made if user_id is not None}


async def _keep_roster(
    session: AsyncSession,
    users: Sequence[User],
    employee_of: dict[int, int],
    unmatched: dict[int, Why],
    now: datetime,
) -> None:
    ids = [str(u.user_id) for u in users]
    await session.execute(delete(ROSTER).where(ROSTER.c.user_id.in_(ids)))
    rows: list[dict[str, Any]] = [
        {"user_id": str(u.user_id), "full_name": u.full_name, "email": u.email,
         "archived": u.is_archived, "modified_at": u.modified_at,
         "employee_id": employee_of.get(u.user_id),
         "unmatched": None if u.user_id in employee_of else unmatched[u.user_id].value,
         "seen_at": now}
        for u in users
    ]  # fmt: skip
    if rows:
        await session.execute(insert(ROSTER), rows)
