"""GraphiQL works without internet access: every asset is served by the app itself."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx


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
