"""Managing users: admins create and change them and reset passwords; a user changes their own.

What a user is must be something authorization can act on: a MANAGER manages at least one
team (a manager without teams sees nobody), an EMPLOYEE is linked to their employee record
(they see only that record), and only a MANAGER has teams. An employee record belongs to one
user at most. Every change is audited in the caller's transaction (the audit log never holds
a password hash), and any committed change of a user ends their tokens whose stamp it changes
(``services.revocation``): deactivating, a new role, new teams, a new employee record, a new
password.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee, Team, User
from services import audit, users
from services.authentication import Viewer
from services.errors import BadInput, Conflict, NotFound, Unauthenticated, UserError
from services.keyset import Key, Keyset
from services.users import UserRole

# The admins' list of users, by email (unique, so the id only settles the cursor's form).
USER_ORDER = Keyset("users", (Key(User.email), Key(User.id)))
MAX_TEAMS = 100


class Keep(Enum):
    """A change that leaves a nullable value as it is (None sets it to null)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class NewUser:
    email: str
    role: UserRole
    password: str
    team_ids: Sequence[int] = ()
    employee_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class UserChange:
    """What to change of user ``user_id``; None (``KEEP`` for the employee record): as it is."""

    user_id: int
    email: str | None = None
    role: UserRole | None = None
    team_ids: Sequence[int] | None = None
    employee_id: int | Keep | None = KEEP
    active: bool | None = None


class WrongPassword(BadInput):
    """The password given as the user's current one is not."""


class RateLimited(UserError):
    """Too many wrong passwords from this client for this account (``services.login_limits``)."""

    code = "RATE_LIMITED"


async def list_users(
    *, session: AsyncSession, limit: int, after: Sequence[Any] | None = None
) -> Sequence[User]:
    """At most ``limit`` users in ``USER_ORDER``, after the row with values ``after``."""
    statement = select(User).order_by(*USER_ORDER.order_by()).limit(limit)
    if after is not None:
        statement = statement.where(USER_ORDER.after(after))
    return (await session.scalars(statement)).all()


async def add_user(*, session: AsyncSession, actor: Viewer, new: NewUser, production: bool) -> User:
    """A new user (``users.create_user``: the email and password rules), audited."""
    await _check_shape(
        session, role=new.role, team_ids=new.team_ids, employee_id=new.employee_id, user_id=None
    )
    user = await users.create_user(
        session=session,
        email=new.email,
        password=new.password,
        role=new.role,
        employee_id=new.employee_id,
        team_ids=new.team_ids,
        active=new.active,
        production=production,
    )
    await audit.record(session=session, actor=actor, action="create", row=user, before=None)
    return user


async def update_user(*, session: AsyncSession, actor: Viewer, change: UserChange) -> User:
    """The user with ``change`` applied, audited (nothing written when nothing changes). An
    admin may not demote or deactivate themselves: so there is always an active admin."""
    row = await _locked(session, change.user_id, "id")
    role = change.role if change.role is not None else UserRole(row.role)
    team_ids = sorted(set(change.team_ids)) if change.team_ids is not None else row.team_ids
    employee_id = row.employee_id if change.employee_id is KEEP else change.employee_id
    active = change.active if change.active is not None else row.active
    if row.id == actor.user_id and role is not UserRole.ADMIN:
        raise BadInput("you cannot demote yourself: another admin can", field="role")
    if row.id == actor.user_id and not active:
        raise BadInput("you cannot deactivate yourself: another admin can", field="active")
    await _check_shape(
        session, role=role, team_ids=team_ids, employee_id=employee_id, user_id=row.id
    )
    email = row.email if change.email is None else users.checked_email(change.email)
    if email != row.email and await _user_with(session, User.email == email, row.id):
        raise Conflict(f"a user with email {email[:64]} exists", field="email")
    wanted = {
        "email": email, "role": role.value, "team_ids": list(team_ids),
        "employee_id": employee_id, "active": active,
    }  # fmt: skip
    changed = {name: value for name, value in wanted.items() if getattr(row, name) != value}
    if not changed:
        return row
    before = audit.snapshot(row)
    for name, value in changed.items():
        setattr(row, name, value)
    try:
        await session.flush()
    except IntegrityError:  # another request took the email or the record meanwhile
        raise Conflict("another request took this email or employee record") from None
    await audit.record(session=session, actor=actor, action="update", row=row, before=before)
    return row


async def reset_password(
    *, session: AsyncSession, actor: Viewer, user_id: int, password: str, production: bool
) -> User:
    """An admin gives user ``user_id`` a new password (the password rules apply), audited."""
    row = await _locked(session, user_id, "userId")
    before = audit.snapshot(row)
    await users.set_password(session=session, user=row, password=password, production=production)
    await audit.record(session=session, actor=actor, action="set_password", row=row, before=before)
    return row


async def change_own_password(
    *, session: AsyncSession, actor: Viewer, old_password: str, new_password: str, production: bool
) -> User:
    """The signed-in user's new password, given their current one (``WrongPassword`` else),
    audited. Their tokens end with it, this request's too: they sign in again."""
    if actor.user_id is None:
        raise Unauthenticated("sign in to change your password")
    row = await session.scalar(select(User).where(User.id == actor.user_id).with_for_update())
    if row is None:
        raise Unauthenticated("the signed-in user no longer exists; sign in again")
    if not await users.password_matches(user=row, password=old_password):
        raise WrongPassword("the old password is wrong", field="oldPassword")
    before = audit.snapshot(row)
    try:
        await users.set_password(
            session=session, user=row, password=new_password, production=production
        )
    except BadInput as refused:
        raise BadInput(refused.message, field="newPassword") from None
    await audit.record(
        session=session, actor=actor, action="change_password", row=row, before=before
    )
    return row


async def team_ids_of(*, session: AsyncSession, keys: Sequence[str]) -> list[int]:
    """The ids of the teams with these keys (``NotFound`` for an unknown one)."""
    found = dict((await session.execute(select(Team.key, Team.id).where(Team.key.in_(keys)))).all())
    for key in keys:
        if key not in found:
            raise NotFound(f"no team with key {key[:64]!r}", field="team")
    return [found[key] for key in keys]


async def employee_id_of(*, session: AsyncSession, code: str) -> int:
    """The id of the employee with this badge code (``NotFound`` when there is none)."""
    found = await session.scalar(select(Employee.id).where(Employee.code == code))
    if found is None:
        raise NotFound(f"no employee with code {code[:64]!r}", field="employee")
    return found


async def _locked(session: AsyncSession, user_id: int, field: str) -> User:
    row = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if row is None:
        raise NotFound("no such user", field=field)
    return row


async def _check_shape(
    session: AsyncSession,
    *,
    role: UserRole,
    team_ids: Sequence[int],
    employee_id: int | None,
    user_id: int | None,
) -> None:
    """What authorization needs of a user of ``role`` (see the module's docstring), and that
    the teams and the employee record exist and the record is nobody else's."""
    if len(team_ids) > MAX_TEAMS:
        raise BadInput(f"a manager manages at most {MAX_TEAMS} teams", field="teamIds")
    if role is UserRole.MANAGER and not team_ids:
        raise BadInput("a MANAGER manages at least one team", field="teamIds")
    if role is not UserRole.MANAGER and team_ids:
        raise BadInput(f"only a MANAGER has teams, not an {role.value}", field="teamIds")
    if role is UserRole.EMPLOYEE and employee_id is None:
        raise BadInput("an EMPLOYEE user is linked to their employee record", field="employeeId")
    if team_ids:
        known = set(await session.scalars(select(Team.id).where(Team.id.in_(team_ids))))
        for index, team_id in enumerate(team_ids):
            if team_id not in known:
                raise NotFound(f"no such team: teamIds[{index}]", field="teamIds")
    if employee_id is not None:
        if await session.scalar(select(Employee.id).where(Employee.id == employee_id)) is None:
            raise NotFound("no such employee", field="employeeId")
        holder = await _user_with(session, User.employee_id == employee_id, user_id)
        if holder is not None:
            raise Conflict(
                f"this employee record is already user {holder[:64]}'s", field="employeeId"
            )


async def _user_with(session: AsyncSession, condition: Any, other_than: int | None) -> str | None:
    """The email of a user other than ``other_than`` that meets ``condition``, if any."""
    statement = select(User.email).where(condition)
    if other_than is not None:
        statement = statement.where(User.id != other_than)
    return await session.scalar(statement.limit(1))
