"""``createUser``: a user who signs in (admins; audited); the payload every user mutation
answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from db.models import User
from resolvers import users as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.payloads import PayloadErrorType, outcome
from schema.infra.relay import expect_global_id
from schema.teams import TeamType
from schema.users import UserRoleType, UserType
from services.errors import BadInput
from services.user_admin import NewUser
from services.users import UserRole


@strawberry.input(name="CreateUserInput")
class CreateUserInputType:
    email: str
    role: UserRoleType  # type: ignore[valid-type]
    password: str = strawberry.field(
        description="10 to 256 characters that are not easy to guess: a few unrelated words."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The teams a MANAGER manages (at least one; only a MANAGER)."
    )
    employee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The employee record the user is (required for an EMPLOYEE)."
    )
    active: bool = True


@strawberry.type(name="UserPayload")
class UserPayloadType:
    user: UserType | None
    errors: list[PayloadErrorType]


async def answer(work: Callable[[], Awaitable[User]]) -> UserPayloadType:
    """The payload of a user mutation: its user, or its expected failure (ids that are not
    ones of the right type included) as payload errors."""
    result = await outcome(work())
    if isinstance(result, list):
        return UserPayloadType(user=None, errors=result)
    return UserPayloadType(user=UserType.from_row(result), errors=[])


def db_id(value: str, node_type: type[Any], field: str) -> int:
    """The database id of a global id of ``node_type``; ``BadInput`` at ``field`` if not one."""
    try:
        return expect_global_id(value, node_type)
    except BadInput as refused:
        raise BadInput(refused.message, field=field) from None


def team_db_ids(values: list[strawberry.ID]) -> list[int]:
    return [db_id(value, TeamType, "teamIds") for value in values]


def employee_db_id(value: str | None) -> int | None:
    return None if value is None else db_id(value, EmployeeType, "employeeId")


async def create_user(info: Info, input: CreateUserInputType) -> UserPayloadType:
    async def work() -> User:
        new = NewUser(
            email=input.email,
            role=UserRole(input.role),
            password=input.password,
            team_ids=team_db_ids(input.team_ids or []),
            employee_id=employee_db_id(input.employee_id),
            active=input.active,
        )
        return await resolve.create_user(info.context, new)

    return await answer(work)
