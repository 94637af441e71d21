"""The floor screen's page: served by the app itself (in production too), its two assets
pinned by their hashes, nothing from elsewhere, and a policy that allows the page its own
files and its own websocket only."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from pydantic import SecretStr

from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import Backend
from tests.helpers_live import SCREEN

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)
SECURED = {
    "content-security-policy": POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), usb=(), payment=()",
    "cache-control": "no-cache",
}


def _secured(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in SECURED}


async def test_the_page_and_its_assets_are_the_apps_own_and_pinned(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/board")
    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', page.text)
    elsewhere = re.findall(r'(?:src|href)="\s*((?:https?:)?//[^"]+)"', page.text)
    inline = re.findall(r"<script>|<style>|\son[a-z]+=", page.text)
    fetched = {path: await client.get(path) for path, _ in assets}

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert _secured(page) == SECURED
    assert elsewhere == [] and inline == []
    assert [path for path, _ in assets] == ["/board/board.css", "/board/board.js"]
    for path, pinned in assets:
        response = fetched[path]
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert response.status_code == 200, path
        assert pinned == f"sha384-{digest}", path
        assert _secured(response) == SECURED, path
    assert fetched["/board/board.js"].headers["content-type"] == "text/javascript; charset=utf-8"
    assert fetched["/board/board.css"].headers["content-type"] == "text/css; charset=utf-8"


async def test_the_script_writes_text_only_and_reads_its_key_from_the_fragment(
    client: httpx.AsyncClient,
) -> None:
    """What the policy's Trusted Types rule would refuse at run time, and the key's place."""
    script = (await client.get("/board/board.js")).text

    assert (
        re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script) == []
    )
    assert "new URLSearchParams(location.hash.slice(1))" in script
    assert "location.search" not in script  # the key never goes into a request's address
    assert "connection_init" in script and "graphql-transport-ws" in script
    # what the subscription tests send as the screen (tests/helpers_live.py) is what it sends
    sent = re.search(r"const DOCUMENT = `(.*?)`;", script, re.DOTALL)
    assert sent is not None and sent.group(1) == SCREEN.strip()


async def test_a_floor_screen_is_served_in_production_too(backend: Backend) -> None:
    settings = backend.settings.model_copy(
        update={"env": "production", "secret_key": SecretStr("s" * 40)}
    )
    resources = build_resources(settings, db=backend.db)
    app = create_app(resources)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            page = await http.get("/board")
            graphiql = await http.get("/graphiql-assets/graphiql.min.js")
            posted = await http.post("/board")
    finally:
        await resources.aclose()

    assert page.status_code == 200 and _secured(page) == SECURED
    assert graphiql.status_code == 404  # GraphiQL stays off in production
    assert posted.status_code == 405


@pytest.mark.parametrize("path", ["/board/board.js.map", "/board/index.html", "/board/x"])
async def test_nothing_else_is_served_under_the_page(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404
