"""``setLeaderboardOptOut``: whether an employee appears by name on leaderboards (their own
choice; admins may set anyone's). Audited."""

from __future__ import annotations

import strawberry

from resolvers import employees as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.payloads import outcome
from schema.infra.relay import optional_global_id
from schema.mutations.upsert_employee import EmployeePayloadType


async def set_leaderboard_opt_out(
    info: Info,
    opt_out: bool,
    employee_id: strawberry.ID | None = None,
) -> EmployeePayloadType:
    chosen = optional_global_id(employee_id, EmployeeType)
    result = await outcome(resolve.set_leaderboard_opt_out(info.context, chosen, opt_out))
    if isinstance(result, list):
        return EmployeePayloadType(employee=None, created=False, errors=result)
    return EmployeePayloadType(employee=EmployeeType.from_row(result), created=False, errors=[])
