"""A leaderboard page costs the same statements for 1 entry or 100, counted by the client and,
on MariaDB, by the server; a one-day page is read down its index in order."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from db import models
from db.engine import Database
from services.leaderboard import Board, Metric, PageOf
from tests import helpers
from tests.helpers import Backend, GraphQLClient, ServerStatements, StatementCounter, utc

DAY = date(2026, 11, 20)

# helpers.LEADERBOARD_PAGE over one day or a period: employee, team, score, breakdown.
PAGE = """
query Page($first: Int!, $from: Date!, $to: Date!) {
  leaderboard(from: $from, to: $to, first: $first) {
    totalCount
    edges { node {
      rank pointsEarned
      employee { name team { name } score(date: $to) { productivity }
                 activityBreakdown(date: $to) { role { key } items } }
    } }
  }
}
"""
# The page (with its employees, their teams and, for one day, their scores), its ranks and
# total, and the role totals of its employees at the same time, then the totals' roles; a
# board of several days reads the scores of the day asked separately.
SELECTS = {1: 4, 2: 5}


async def _board(db: Database, n: int) -> None:
    teams = [await helpers.team(db, name=f"Shift {k}") for k in range(3)]
    picking = await helpers.role(db, key="picking")
    people = [
        models.Employee(code=f"L{i:04d}", name=f"Lead {i:04d}", team_id=teams[i % 3].id)
        for i in range(n)
    ]
    await helpers.add(db, *people)
    rows: list[object] = []
    for i, person in enumerate(people):
        for day in (date(2026, 11, 19), DAY):
            rows.append(helpers.score(person, day, points_earned=float(i % 7), items_processed=i))
        rows.append(helpers.activity(person, picking, utc(2026, 11, 20, 15), 5 + i))
    await helpers.add(db, *rows)


@pytest.mark.parametrize("days", [1, 2])
@pytest.mark.parametrize("n", [1, 10, 100])
async def test_a_page_costs_the_same_statements_for_any_size(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
    days: int,
) -> None:
    await _board(db, 100)
    period = {"from": date(2026, 11, 21 - days).isoformat(), "to": DAY.isoformat()}
    await uncached.data(PAGE, first=n, **period)  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await uncached.data(PAGE, first=n, **period)
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    edges = data["leaderboard"]["edges"]
    assert len(edges) == n
    assert data["leaderboard"]["totalCount"] == 100
    assert statements.count == SELECTS[days], [s[:90] for s in statements.statements]
    if seen_by_server is not None:  # SELECTs only: no transaction, no ROLLBACK, no SET, no ping
        assert seen_by_server == {
            "Questions": SELECTS[days], "Com_select": SELECTS[days], "Com_commit": 0,
            "Com_rollback": 0, "Com_set_option": 0, "Com_admin_commands": 0,
        }  # fmt: skip
    top = edges[0]["node"]
    assert top["rank"] == 1
    assert top["pointsEarned"] == 6.0 * days  # i % 7 == 6, the lowest such id first
    assert top["employee"]["name"] == "Lead 0006"
    assert top["employee"]["team"] == {"name": "Shift 0"}
    assert top["employee"]["activityBreakdown"] == [{"role": {"key": "picking"}, "items": 11}]


@pytest.mark.parametrize("metric", [Metric.POINTS, Metric.ITEMS])
async def test_a_one_day_page_is_read_down_its_index_without_a_sort(
    backend: Backend, metric: Metric
) -> None:
    """MariaDB runs a page after a cursor down the board's index, in its order, with no sort,
    and stops at the page's 51st entry. (Which access it picks is its cost model's choice: on
    profile L's data a range that starts at the cursor; docs/PERFORMANCE.md shows the plan.)"""
    if backend.name != "mariadb":
        pytest.skip("MariaDB's own account of the statement (ANALYZE)")
    db = backend.db
    people = [models.Employee(code=f"R{i:04d}", name=f"Row {i:04d}") for i in range(2000)]
    await helpers.add(db, *people)
    await helpers.add(
        db,
        *(
            helpers.score(p, DAY, points_earned=i * 1.5, items_processed=i)
            for i, p in enumerate(people)
        ),
    )
    deep = people[500]  # 1,499 entries above it, as deep as a page of profile L's day goes
    cursor = (750.0 if metric is Metric.POINTS else 500, deep.id)
    page = PageOf(Board(DAY, DAY, metric), 50, after=cursor)
    statement = page.entries().element.params(**page.params)
    sql = statement.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True})

    async with db.engine.connect() as connection:
        await connection.execute(text("ANALYZE TABLE daily_scores"))
        report = (await connection.execute(text(f"ANALYZE FORMAT=JSON {sql}"))).scalar_one()
    table = json.loads(report)["query_block"]["nested_loop"][0]["table"]

    index = {
        Metric.POINTS: "ix_daily_scores_board_points",
        Metric.ITEMS: "ix_daily_scores_board_items",
    }
    assert (table["key"], table["r_rows"]) == (index[metric], 51)
    assert "filesort" not in report


async def test_a_page_asked_through_fragments_costs_the_same(
    db: Database, uncached: GraphQLClient, statements: StatementCounter
) -> None:
    """What the page loads in bulk for its employees is found in fragments too."""
    await _board(db, 30)
    query = """
    query($day: Date!) { leaderboard(from: $day, to: $day, first: 30) { edges { node { ...Entry } } } }
    fragment Entry on LeaderboardEntry {
      employee { ... on Employee { team { name } } ...Day }
    }
    fragment Day on Employee { score(date: $day) { productivity } activityBreakdown(date: $day) { items } }
    """
    await uncached.data(query, day=DAY.isoformat())

    statements.counting = True
    data = await uncached.data(query, day=DAY.isoformat())
    statements.counting = False

    top = data["leaderboard"]["edges"][0]["node"]["employee"]
    assert top["team"] == {"name": "Shift 0"}
    assert top["activityBreakdown"] == [{"items": 11}]
    assert statements.count == SELECTS[1], [s[:90] for s in statements.statements]


async def test_breakdowns_of_two_days_are_one_read_with_the_page(
    db: Database, uncached: GraphQLClient, statements: StatementCounter
) -> None:
    """Breakdowns of several days (aliases) are read in one statement alongside the page."""
    await _board(db, 10)
    query = """
    query($day: Date!, $before: Date!) { leaderboard(from: $day, to: $day, first: 10) { edges { node {
      employee { today: activityBreakdown(date: $day) { items }
                 before: activityBreakdown(date: $before) { items } } } } } }
    """
    days = {"day": DAY.isoformat(), "before": "2026-11-19"}
    await uncached.data(query, **days)

    statements.counting = True
    data = await uncached.data(query, **days)
    statements.counting = False

    top = data["leaderboard"]["edges"][0]["node"]["employee"]
    assert top == {"today": [{"items": 11}], "before": []}  # Lead 0006: 5 + 6 items on DAY
    assert statements.count == SELECTS[1], [s[:90] for s in statements.statements]


@pytest.mark.parametrize("asked", [False, True])
async def test_a_page_joins_the_days_scores_only_when_asked(
    db: Database, uncached: GraphQLClient, statements: StatementCounter, asked: bool
) -> None:
    """A one-day page brings its employees' scores of the day along if the query shows them,
    and does not read them otherwise; either way the page and its ranks are two statements."""
    await _board(db, 10)
    score = "score(date: $day) { pointsEarned }" if asked else ""
    query = f"""query($day: Date!) {{ leaderboard(from: $day, to: $day, first: 3) {{ edges {{ node {{
      rank employee {{ name {score} }} }} }} }} }}"""
    await uncached.data(query, day=DAY.isoformat())

    statements.counting = True
    data = await uncached.data(query, day=DAY.isoformat())
    statements.counting = False

    top = data["leaderboard"]["edges"][0]["node"]
    assert top == {"rank": 1, "employee": {"name": "Lead 0006"}} | (
        {"employee": {"name": "Lead 0006", "score": {"pointsEarned": 6.0}}} if asked else {}
    )
    assert statements.count == 2, [s[:90] for s in statements.statements]
    page = next(s for s in statements.statements if "employees.name" in s)
    assert ("daily_scores.productivity" in page) is asked  # the score's own columns
