"""The live-leaderboard tests' fixtures (what they share is ``tests/helpers_live.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from db.engine import Database
from tests import helpers
from tests.helpers import NOW, Backend
from tests.helpers_browser import Browser, browser, chromium_path
from tests.helpers_live import DAY, Floor, Live, live_app


@pytest.fixture
async def live(backend: Backend) -> AsyncIterator[Live]:
    async with live_app(backend) as started:
        yield started


@pytest.fixture
async def floor(db: Database) -> Floor:
    """Ann 30 points, Bob 20, Cid (opted out) 10 on DAY, scored."""
    team = await helpers.team(db, name="Alpha")
    role = await helpers.role(db, key="pick", points_per_item=1.0)
    people = {
        "Ann": await helpers.employee(db, name="Ann", team_id=team.id),
        "Bob": await helpers.employee(db, name="Bob", team_id=team.id),
        "Cid": await helpers.employee(db, name="Cid", team_id=team.id, leaderboard_opt_out=True),
    }
    found = Floor(team, role, people)
    for name, items in (("Ann", 30), ("Bob", 20), ("Cid", 10)):
        await found.scan(db, name, items)
    await helpers.refresh_days(db, DAY, now=NOW)
    return found


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    """One headless chromium for a module's tests (each opens tabs of its own)."""
    if chromium_path() is None:
        pytest.skip("chromium is not installed here (scripts/services.sh installs it for CI)")
    async with browser() as started:
        yield started


@pytest.fixture
def screen(chromium: Browser) -> Browser:
    """The browser, with nothing reported yet by this test's pages."""
    chromium.problems.clear()
    return chromium
