"""Small builders for test rows: each returns the inserted ORM object (ids assigned)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from db import models
from db.engine import Database

_seq = itertools.count(1)


async def add(db: Database, *rows: Any) -> None:
    async with db.session() as session, session.begin():
        session.add_all(rows)


async def team(db: Database, **fields: Any) -> models.Team:
    n = next(_seq)
    row = models.Team(
        **{"key": f"team-{n}", "name": f"Team {n}", "timezone": "America/Chicago"} | fields
    )
    await add(db, row)
    return row


async def role(db: Database, **fields: Any) -> models.Role:
    n = next(_seq)
    defaults = {
        "key": f"role-{n}",
        "name": f"Role {n}",
        "points_per_item": 1.0,
        "expected_per_hour": 60.0,
    }
    row = models.Role(**defaults | fields)
    await add(db, row)
    return row


async def employee(db: Database, **fields: Any) -> models.Employee:
    n = next(_seq)
    row = models.Employee(**{"code": f"E{n:05d}", "name": f"Employee {n:05d}"} | fields)
    await add(db, row)
    return row


def activity(
    employee: models.Employee, role: models.Role, start: datetime, items: int, **fields: Any
) -> models.Activity:
    defaults = {
        "employee_id": employee.id,
        "role_id": role.id,
        "items_count": items,
        "window_start": start,
        "window_end": start + timedelta(minutes=10),
        "work_date": start.date(),
    }
    return models.Activity(**defaults | fields)


def score(employee: models.Employee, day: date, **fields: Any) -> models.DailyScore:
    return models.DailyScore(
        **{"employee_id": employee.id, "team_id": employee.team_id, "work_date": day} | fields
    )
