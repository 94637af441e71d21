"""Generated operations over the whole schema, valid and invalid, as each kind of viewer:
never a server error, never an exception's text in a response."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, OperationDefinitionNode, parse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from db import models
from db.engine import Database
from schema.build import build_schema
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, bearer, utc

SCHEMA = build_schema().as_str()
SCALARS = {
    "Date": st.dates().map(lambda day: nodes.String(day.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda at: nodes.String(at.isoformat())),
}
VIEWERS: dict[str, Viewer | None] = {
    "admin": ADMIN,
    "manager": Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({1})),
    "employee": Viewer(user_id=3, role=UserRole.EMPLOYEE, employee_id=1),
    "anonymous": None,
}
EXAMPLES = 40
EXCEPTION_TEXT = ("Traceback", 'File "', "Error:", "Exception")


@pytest.fixture
async def floor(db: Database) -> None:
    await helpers.add(db, models.User(id=1, email=ADMIN.email, password_hash="-", role="ADMIN"))
    team = await helpers.team(db, key="north")
    role = await helpers.role(db, key="pick")
    person = await helpers.employee(db, code="E1", team_id=team.id, default_role_id=role.id)
    await helpers.add(db, helpers.activity(person, role, utc(2026, 11, 20, 14), 5))


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("who", sorted(VIEWERS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_generated_operations_never_break_the_server(
    floor: None, client: httpx.AsyncClient, who: str, mode: Mode, data: st.DataObject
) -> None:
    query = data.draw(from_schema(SCHEMA, custom_scalars=SCALARS, mode=mode))
    for root in _root_fields(query):
        event(f"operation: {root}")  # --hypothesis-show-statistics counts examples per field
    viewer = VIEWERS[who]
    headers = bearer(viewer) if viewer is not None else {}

    response = await client.post("/graphql", json={"query": query}, headers=headers)

    assert response.status_code < 500, (query, response.text)
    if response.status_code == 200:
        errors: list[dict[str, Any]] = response.json().get("errors") or []
        assert all(e["extensions"]["code"] != "INTERNAL_SERVER_ERROR" for e in errors), (
            query,
            errors,
        )
    assert not any(text in response.text for text in EXCEPTION_TEXT), (query, response.text)


def _root_fields(query: str) -> list[str]:
    try:
        document = parse(query)
    except GraphQLError:
        return ["(does not parse)"]
    return sorted(
        {
            f"{d.operation.value} {s.name.value}"
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            for s in d.selection_set.selections
            if hasattr(s, "name")
        }
    )
