"""GraphiQL works without internet access: every asset is served by the app itself."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from tests.helpers import GraphQLClient


async def test_graphiql_page_loads_nothing_from_outside(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers={"Accept": "text/html"})).text

    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', page)
    fetched_from_elsewhere = re.findall(r'(?:src|href)="\s*((?:https?:)?//[^"]+)"', page)

    assert fetched_from_elsewhere == []
    assert len(assets) == 7
    for path, integrity in assets:
        response = await client.get(path)
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert response.status_code == 200, path
        assert integrity == f"sha384-{digest}", path  # the bytes Strawberry pins, unmodified


async def test_graphiql_opens_on_signing_in_and_a_dashboard_query(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    """In development GraphiQL opens on this API: how to sign in with the demo's sign-ins, where
    the token goes, and a dashboard query; not on Strawberry's welcome text."""
    page = (await client.get("/graphql", headers={"Accept": "text/html"})).text
    found = re.search(r"const EXAMPLE_QUERY = `(.*?)`;", page, re.DOTALL)
    assert found is not None
    example = found.group(1)

    assert "Welcome to GraphiQL" not in page
    assert "admin@demo.example, manager@demo.example or employee@demo.example" in example
    assert 'mutation SignIn {\n  login(email: "admin@demo.example", password: "demo-password")' in (
        example
    )
    assert '#   {"Authorization": "Bearer <token>"}' in example
    assert "only in development: GraphiQL is off in production" in example
    # a valid document of this API, as it stands: the dashboard runs (on no data here)
    response = await client.post(
        "/graphql",
        json={"query": example, "operationName": "Dashboard"},
        headers=gql.headers,
    )
    assert response.json() == {"data": {"employees": {"edges": [], "pageInfo": {
        "hasNextPage": False, "endCursor": None}}}}  # fmt: skip
