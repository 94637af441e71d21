"""``leaderboardUpdated`` through a real graphql-transport-ws client: the current page first,
then a page each time a refresh changes the board and nothing when it does not; what each
viewer may see; one computation per board and viewer scope, and statements per update that
do not grow with the subscribers."""

from __future__ import annotations

from contextlib import AsyncExitStack

from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests.helpers import ADMIN, Backend, StatementCounter, bearer
from tests.helpers_live import DAY, Floor, Live, hearing, refresh, rows, told_once, watching

ADMIN_TOKEN = bearer(ADMIN)["Authorization"]
BOARD = {"from": DAY.isoformat(), "to": DAY.isoformat()}
FIRST = [(1, 30.0, "Ann"), (2, 20.0, "Bob"), (3, 10.0, "Cid")]
AFTER_BOB = [(1, 35.0, "Bob"), (2, 30.0, "Ann"), (3, 10.0, "Cid")]


async def test_the_current_page_then_each_change_and_nothing_when_nothing_changed(
    backend: Backend, db: Database, floor: Floor, live: Live
) -> None:
    async with watching(live.url, ADMIN_TOKEN, **BOARD) as watcher:
        first = await watcher.next()
        await hearing(live)
        await floor.scan(db, "Bob", 15)
        await refresh(db)
        changed = await watcher.next()
        await refresh(db)  # the same figures written again
        unchanged = await watcher.quiet()

    assert rows(first) == FIRST
    assert first["leaderboardUpdated"]["totalCount"] == 3
    assert first["leaderboardUpdated"]["edges"][0]["node"]["employee"] == {
        "name": "Ann", "team": {"name": "Alpha"},
    }  # fmt: skip
    assert rows(changed) == AFTER_BOB
    assert unchanged is True


async def test_each_viewer_sees_what_the_query_shows_them(
    db: Database, floor: Floor, live: Live
) -> None:
    bob = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=floor.people["Bob"].id)
    async with watching(live.url, bearer(bob)["Authorization"], **BOARD) as watcher:
        page = await watcher.next()

    assert rows(page) == [(1, 30.0, "Ann"), (2, 20.0, "Bob"), (3, 10.0, "Anonymous")]
    assert page["leaderboardUpdated"]["edges"][2]["node"]["employee"] is None


async def test_one_computation_per_board_and_scope_and_statements_that_do_not_grow(
    db: Database, floor: Floor, live: Live
) -> None:
    boards = live.app.boards
    manager = Viewer(user_id=8, role=UserRole.MANAGER, team_ids=frozenset({floor.team.id}))
    statements = StatementCounter()
    statements.attach(db)
    async with AsyncExitStack() as stack:
        stack.enter_context(told_once(live))
        one = await stack.enter_async_context(watching(live.url, ADMIN_TOKEN, **BOARD))
        eve = await stack.enter_async_context(
            watching(live.url, ADMIN_TOKEN, **{"from": "2026-11-19", "to": "2026-11-19"})
        )
        await one.next()
        await eve.next()
        await hearing(live)
        # One subscriber: the update's statements (the refresh's, then the board's).
        computed = boards.computations
        statements.counting = True
        await floor.scan(db, "Bob", 15)
        await refresh(db)
        await one.next()
        statements.counting = False
        alone = (statements.count, boards.computations - computed)

        more = [
            await stack.enter_async_context(watching(live.url, ADMIN_TOKEN, **BOARD))
            for _ in range(4)
        ]
        other = await stack.enter_async_context(
            watching(live.url, bearer(manager)["Authorization"], **BOARD)
        )
        for watcher in [*more, other]:
            await watcher.next()
        statements.statements.clear()
        computed = boards.computations
        statements.counting = True
        await floor.scan(db, "Ann", 20)
        await refresh(db)
        pages = [await watcher.next() for watcher in [one, *more]]
        managers = await other.next()
        statements.counting = False
        together = (statements.count, boards.computations - computed)
        eve_quiet = await eve.quiet(0.2)
        groups = boards.groups
    statements.detach(db)

    expected = [(1, 50.0, "Ann"), (2, 35.0, "Bob"), (3, 10.0, "Cid")]
    assert [rows(page) for page in pages] == [expected] * 5
    # an opted-out name is for admins and its owner only
    assert rows(managers) == [(1, 50.0, "Ann"), (2, 35.0, "Bob"), (3, 10.0, "Anonymous")]
    assert eve_quiet is True  # the other day's board was not recomputed, nor sent
    assert groups == 3  # the day's for admins, for the manager; the eve's
    assert alone[1] == 1
    # five admins' board is computed once, the manager's once; each costs the same
    # statements, and the subscribers none
    assert together[1] == 2
    # the same refresh, and one more board's two statements (its page, its position)
    assert together[0] == alone[0] + 2
