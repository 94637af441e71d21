"""Floor screens' subscriptions, signed in with a DISPLAY key: their team's board only, as a
non-admin sees it; screens of one key share one computation, whose statements do not grow
with them; a revoked key ends its screens."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

from db.engine import Database
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.board_notices import Changed
from tests import helpers
from tests.helpers import Backend, ServerStatements, StatementCounter, gid
from tests.helpers_live import (
    DAY,
    SCREEN,
    SCREEN_VARIABLES,
    Floor,
    Live,
    bare,
    hearing,
    live_app,
    receive,
    refresh,
    subscribe,
    unheard,
    watching,
)

FIRST = [(1, "Ann", 30.0), (2, "Bob", 20.0), (3, "Anonymous", 10.0)]
TEAM_BOARD = "subscription($team: ID) { leaderboardUpdated(teamId: $team) { totalCount } }"


def shown(page: dict[str, object]) -> list[tuple[int, str, float]]:
    board = page["leaderboardUpdated"]
    assert isinstance(board, dict)
    return [(e["node"]["rank"], e["node"]["displayName"], e["node"]["pointsEarned"])
            for e in board["edges"]]  # fmt: skip


async def test_a_screen_watches_its_teams_board_and_no_other(
    db: Database, floor: Floor, live: Live
) -> None:
    beta = await helpers.team(db, name="Beta")
    dan = await helpers.employee(db, name="Dan", team_id=beta.id)
    await helpers.add(db, helpers.score(dan, DAY, points_earned=99.0, items_processed=99))
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    async with watching(live.url, key, SCREEN, **SCREEN_VARIABLES) as screen:
        page = await screen.next()
    async with bare(live.url, {"Authorization": key}) as ws:
        await subscribe(ws, "1", TEAM_BOARD, team=gid("Team", beta.id))
        other_team = await receive(ws)
        other_ended = await receive(ws)
        await subscribe(ws, "2", "subscription { leaderboardUpdated { edges { node { "
                        "employee { name score(date: \"2026-11-20\") { pointsEarned } } } } } }")  # fmt: skip
        own_data = await receive(ws)

    board = page["leaderboardUpdated"]
    assert shown(page) == FIRST  # Alpha's today, Dan's 99 points not on it; Cid anonymous
    assert (board["from"], board["to"], board["totalCount"]) == ("2026-11-20", "2026-11-20", 3)
    assert board["team"] == {"name": "Alpha", "timezone": "America/Chicago"}
    assert other_team == {"id": "1", "type": "next", "payload": {"data": None, "errors": [{
        "message": "a DISPLAY key shows its own team's leaderboard only",
        "extensions": {"code": "FORBIDDEN"}}]}}  # fmt: skip
    assert other_ended == {"id": "1", "type": "complete"}
    # a colleague's own data is not a screen's (as for a non-admin), nor an opted-out name
    refused = {
        "message": "this employee's own data is not yours to see",
        "locations": [{"line": 1, "column": 68}],
        "extensions": {"code": "FORBIDDEN"},
    }
    assert own_data == {"id": "2", "type": "next", "payload": {
        "data": {"leaderboardUpdated": {"edges": [
            {"node": {"employee": {"name": "Ann", "score": None}}},
            {"node": {"employee": {"name": "Bob", "score": None}}},
            {"node": {"employee": None}},
        ]}},
        "errors": [refused | {"path": ["leaderboardUpdated", "edges", n, "node", "employee", "score"]}
                   for n in (0, 1)],
    }}  # fmt: skip


async def test_screens_share_one_computation_whose_statements_do_not_grow(
    backend: Backend, db: Database, floor: Floor, server: ServerStatements | None
) -> None:
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    statements = StatementCounter()
    statements.attach(db)
    counts: list[tuple[int, int, dict[str, int] | None]] = []
    joined: list[int] = []
    # no recheck of the key within the test: only the boards' statements are counted
    async with (
        live_app(backend, subscription_recheck_seconds=3600) as live,
        AsyncExitStack() as stack,
    ):
        boards = live.app.boards
        screens = [
            await stack.enter_async_context(watching(live.url, key, SCREEN, **SCREEN_VARIABLES))
        ]
        await screens[0].next()
        await hearing(live)
        for bob, more in ((15, 0), (10, 2)):
            for _ in range(more):  # a screen joining the board: its key, the board's day
                statements.statements.clear()
                statements.counting = True
                screens.append(await stack.enter_async_context(
                    watching(live.url, key, SCREEN, **SCREEN_VARIABLES)))  # fmt: skip
                await screens[-1].next()
                statements.counting = False
                joined.append(statements.count)
            with unheard(db):  # the change is written untold, then told: its board's cost alone
                await floor.scan(db, "Bob", bob, hour=15 + more)
                await refresh(db)
            computed = boards.computations
            statements.statements.clear()
            statements.counting = True
            if server is not None:
                server.start()
            live.resources.notices.deliver(Changed(frozenset({DAY}), at=time.time()))
            pages = [await screen.next() for screen in screens]
            await boards.settled()
            by_server = server.stop() if server is not None else None
            statements.counting = False
            counts.append((statements.count, boards.computations - computed, by_server))
            assert {str(shown(p)) for p in pages} == {str(shown(pages[0]))}
    statements.detach(db)

    # the page, its position (ranks, total), the team: for one screen and for three
    assert [(count, computed) for count, computed, _ in counts] == [(3, 1), (3, 1)]
    assert joined == [2, 2]  # the key, the team's day; the board is the group's already
    if server is not None:
        only_selects = {"Questions": 3, "Com_select": 3, "Com_commit": 0, "Com_rollback": 0,
                        "Com_set_option": 0, "Com_admin_commands": 0}  # fmt: skip
        assert [by_server for _, _, by_server in counts] == [only_selects, only_selects]


async def test_a_revoked_key_ends_its_screens(backend: Backend, db: Database, floor: Floor) -> None:
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    async with (
        live_app(backend, subscription_recheck_seconds=0.2) as live,
        bare(live.url, {"Authorization": key}) as ws,
    ):
        await subscribe(ws, "1", SCREEN, **SCREEN_VARIABLES)
        first = await receive(ws)
        async with db.session() as session, session.begin():
            [row] = await api_keys.list_api_keys(session=session)
            await api_keys.revoke_api_key(
                session=session, actor=Viewer(email="test"), key_id=row.id, now=live.clock()
            )
        ended = await receive(ws)
        completed = await receive(ws)
        await ws.wait_closed()
        closed = (ws.close_code, ws.close_reason)

    assert first["type"] == "next"
    assert ended == {"id": "1", "type": "next", "payload": {"data": None, "errors": [
        {"message": "the API key is not valid", "extensions": {"code": "UNAUTHENTICATED"}}]}}  # fmt: skip
    assert completed == {"id": "1", "type": "complete"}
    assert closed == (4403, "the API key is not valid")
