"""``upsertEmployee``: create an employee, or change the one with this badge code (admins;
audited)."""

from __future__ import annotations

import strawberry

from resolvers import employees as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.payloads import PayloadErrorType, outcome
from services.employees import EmployeeIn


@strawberry.input(name="EmployeeInput")
class EmployeeInputType:
    code: str = strawberry.field(description="The badge code, unique.")
    name: str
    email: str | None = None
    team_key: str | None = None
    default_role_key: str | None = None
    active: bool = True


@strawberry.type(name="EmployeePayload")
class EmployeePayloadType:
    employee: EmployeeType | None
    created: bool = strawberry.field(description="Whether the code was new.")
    errors: list[PayloadErrorType]


async def upsert_employee(info: Info, input: EmployeeInputType) -> EmployeePayloadType:
    employee = EmployeeIn(
        code=input.code,
        name=input.name,
        email=input.email,
        team_key=input.team_key,
        default_role_key=input.default_role_key,
        active=input.active,
    )
    result = await outcome(resolve.upsert_employee(info.context, employee))
    if isinstance(result, list):
        return EmployeePayloadType(employee=None, created=False, errors=result)
    row = result.row
    return EmployeePayloadType(
        employee=EmployeeType.from_row(row), created=result.created, errors=[]
    )
