"""``mapEmployee``: an employee is this Connecteam user (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import connecteam as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.payloads import outcome
from schema.infra.relay import expect_global_id
from schema.mutations.upsert_employee import EmployeePayloadType


async def map_employee(
    info: Info, employee_id: strawberry.ID, connecteam_user_id: str
) -> EmployeePayloadType:
    chosen = expect_global_id(employee_id, EmployeeType)
    result = await outcome(resolve.map_employee(info.context, chosen, connecteam_user_id))
    if isinstance(result, list):
        return EmployeePayloadType(employee=None, created=False, errors=result)
    return EmployeePayloadType(employee=EmployeeType.from_row(result), created=False, errors=[])
