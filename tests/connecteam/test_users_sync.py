"""Connecteam users into employees against a hand-made roster: mapped ones updated, new ones
matched or created, ambiguous ones listed, archived ones inactive; the same again changes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.connecteam.models import User
from services.connecteam.users_sync import UsersSynced, apply_users
from tests import helpers
from tests.helpers import NOW, StatementCounter


def user(n: int, first: str, last: str, **fields: Any) -> User:
    return User.model_validate({"userId": n, "firstName": first, "lastName": last} | fields)


USERS = [
    user(900, "Robert", "Ray", email="bob@example.com", isArchived=True),  # mapped, left
    user(901, "Annie", "Lee", email="ANN@example.com"),  # by email
    user(902, "Cid", "Moe"),  # by name
    user(903, "Dee", "Kim"),  # two employees of that name: listed
    user(904, "New", "Hire", email="new@example.com"),  # nobody: created
    user(905, "Old", "Timer", isArchived=True),  # nobody, archived: not created, not listed
]


async def sync(db: Database) -> UsersSynced:
    return await db.write(lambda session: apply_users(session=session, users=USERS, now=NOW))


async def employees(db: Database) -> dict[str, tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.Employee.name, models.Employee.email,
                   models.Employee.active, models.Employee.connecteam_user_id)
        )  # fmt: skip
        return {code: tuple(rest) for code, *rest in rows}


async def roster(db: Database) -> dict[str, str | None]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.ConnecteamUser.user_id, models.ConnecteamUser.unmatched)
        )
        return {user_id: unmatched for user_id, unmatched in rows}


async def test_users_become_employees(db: Database) -> None:
    await helpers.employee(db, code="A1", name="Ann Lee", email="ann@example.com")
    await helpers.employee(db, code="B1", name="Bob Ray", connecteam_user_id="900")
    await helpers.employee(db, code="C1", name="Cid Moe")
    await helpers.employee(db, code="D1", name="Dee Kim")
    await helpers.employee(db, code="D2", name="Dee Kim")

    first = await sync(db)
    again = await sync(db)

    assert first == UsersSynced(users=6, created=1, matched=2, updated=3, listed=1)
    assert again == UsersSynced(users=6, created=0, matched=0, updated=0, listed=1)
    assert await employees(db) == {
        "A1": ("Annie Lee", "ANN@example.com", True, "901"),
        "B1": ("Robert Ray", "bob@example.com", False, "900"),
        "C1": ("Cid Moe", None, True, "902"),
        "D1": ("Dee Kim", None, True, None),
        "D2": ("Dee Kim", None, True, None),
        "CT-904": ("New Hire", "new@example.com", True, "904"),
    }
    async with db.read_session() as session:
        trail = (
            await session.execute(
                select(models.AuditLog.actor_label, models.AuditLog.action,
                       models.AuditLog.after, models.AuditLog.reason)
                .order_by(models.AuditLog.id)
            )
        ).all()  # fmt: skip
    assert [tuple(t) for t in trail] == [  # the first run's; the second changed nothing
        ("connecteam sync", "map", {"connecteam_user_id": "901"}, "matched automatically"),
        ("connecteam sync", "map", {"connecteam_user_id": "902"}, "matched automatically"),
        ("connecteam sync", "create", {"connecteam_user_id": "904"},
         "a Connecteam user no employee matched"),
    ]  # fmt: skip
    assert await roster(db) == {
        "900": None, "901": None, "902": None, "903": "SEVERAL_MATCHES", "904": None,
        "905": "NO_MATCH",
    }  # fmt: skip


@pytest.mark.parametrize("n", [1, 40])
async def test_statements_do_not_grow_with_the_users(
    db: Database, statements: StatementCounter, n: int
) -> None:
    """Matched by email and renamed: the same statements for 1 user as for 40."""
    for k in range(n):
        await helpers.employee(db, email=f"u{k}@example.com", name=f"Old {k}")
    renamed = [user(2000 + k, "New", f"Name {k}", email=f"u{k}@example.com") for k in range(n)]
    await helpers.warm_reads(db)

    statements.counting = True
    await db.write(lambda session: apply_users(session=session, users=renamed, now=NOW))
    statements.counting = False

    # employees; the update (one per 500); the audit; the roster's delete and insert; on
    # SQLite the transaction's BEGIN too (db/engine.py begins it)
    assert statements.count == 5 + (1 if db.settings.is_sqlite else 0)
