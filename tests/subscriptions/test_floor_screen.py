"""The floor screen (``/board``) in a real browser: headless chromium, signed in with a
DISPLAY key from the address's fragment. Its rows appear, a refresh that changes the board
changes the page without a reload, it reconnects by itself when the server restarts, and a
key that is refused says so. Nothing on the page breaks its policy or throws."""

from __future__ import annotations

from typing import Any

from db.engine import Database
from prodhub.resources import build_resources
from services.api_keys import ApiKeyScope
from tests import helpers
from tests.helpers import Backend
from tests.helpers_browser import Browser
from tests.helpers_live import Clock, Floor, Live, hearing, refresh, screen_url, serving

FIRST = [["1", "Ann", "30"], ["2", "Bob", "20"], ["3", "Anonymous", "10"]]
AFTER_BOB = [["1", "Bob", "35"], ["2", "Ann", "30"], ["3", "Anonymous", "10"]]


def showing(rows: list[list[str]]) -> Any:
    return lambda page: page["state"] == "live" and page["rows"] == rows


async def test_the_screen_shows_its_board_and_follows_a_refresh_without_reloading(
    db: Database, floor: Floor, live: Live, screen: Browser
) -> None:
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    async with screen.tab(screen_url(live.url, key)) as tab:
        first = await tab.until(showing(FIRST))
        await tab.evaluate("window.__sameDocument = true")  # gone if the page reloads
        await hearing(live)
        await floor.scan(db, "Bob", 15)
        await refresh(db)
        changed = await tab.until(showing(AFTER_BOB))

    # today's board (the app's clock: DAY) of the key's team, an opted-out name anonymous
    assert first == {
        "state": "live", "team": "Alpha", "period": "2026-11-20", "figure": "Points",
        "message": "", "rows": FIRST, "sameDocument": False,
    }  # fmt: skip
    assert changed == first | {"rows": AFTER_BOB, "sameDocument": True}
    assert screen.problems == []


async def test_the_screen_reconnects_by_itself_when_the_server_restarts(
    backend: Backend, db: Database, floor: Floor, screen: Browser
) -> None:
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    resources = build_resources(backend.settings, db=db)
    first_run = serving(resources, Clock())
    try:
        live = await first_run.__aenter__()
        port = int(live.url.split(":")[2].split("/")[0])
        async with screen.tab(screen_url(live.url, key)) as tab:
            before = await tab.until(showing(FIRST))
            await tab.evaluate("window.__sameDocument = true")
            await first_run.__aexit__(None, None, None)  # the server stops
            down = await tab.until(lambda page: page["state"] == "reconnecting")
            async with serving(resources, Clock(), port=port) as again:
                await hearing(again)
                back = await tab.until(lambda page: page["state"] == "live")
                await floor.scan(db, "Bob", 15)
                await refresh(db)
                changed = await tab.until(showing(AFTER_BOB))
    finally:
        await resources.aclose()

    assert before["rows"] == FIRST
    assert down["rows"] == FIRST  # the last board stays up, shown as not live
    assert back | {"sameDocument": None} == before | {"sameDocument": None}
    assert back["sameDocument"] is True  # the same page: reconnected, not reloaded
    assert changed["rows"] == AFTER_BOB  # and live again on the new server
    assert [p for p in screen.problems if "ERR_CONNECTION_REFUSED" not in p] == []


async def test_a_screen_without_a_valid_key_says_so(live: Live, screen: Browser) -> None:
    async with screen.tab(screen_url(live.url, "phk_not-a-key")) as tab:
        refused = await tab.until(lambda page: page["state"] == "signed out")
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    async with screen.tab(f"{base}/board") as tab:
        keyless = await tab.until(lambda page: page["state"] == "no key")

    assert refused["message"] == "the API key is not valid. It is tried again every minute."
    assert refused["rows"] == []
    assert keyless["message"] == (
        "Open this page as /board#key=<the screen's DISPLAY key> (an admin creates one)."
    )
    assert screen.problems == []
