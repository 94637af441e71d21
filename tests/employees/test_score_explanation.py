"""``Employee.scoreExplanation``: the hand-computed refresh day explained, its totals the
stored score's; the standards it was computed with, whatever changed since; who may see it;
the same statements for 1 employee or 10."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.finalization import finalize_day
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, ServerStatements, StatementCounter, gid, utc

DAY = date(2026, 11, 20)
REFRESHED = utc(2026, 11, 20, 21)  # C is still clocked in: counted to here
FIGURE_FIELDS = (
    "itemsProcessed pointsEarned earnedMinutes activeMinutes clockedMinutes breakMinutes "
    "availableMinutes idleMinutes productivity utilization"
)
EXPLAINED = f"""
query($e: ID!, $day: Date!) {{ employee(id: $e) {{
  score(date: $day) {{ {FIGURE_FIELDS} }}
  scoreExplanation(date: $day) {{
    date computedAt agreesWithScore idleThresholdMinutes
    standards {{ id productivityGoal roles {{ key pointsPerItem expectedPerHour }} }}
    clockRecords {{ clockIn clockOut countedUntil minutes capped breaks {{ start end minutes }} }}
    activeWindows {{ start end minutes }} outsideAvailable {{ start end minutes }}
    gaps {{ start end minutes idle }}
    roles {{ key items pointsPerItem points expectedPerHour earnedMinutes }}
    figures {{ name value formula inputs {{ name value }} }}
  }}
}} }}
"""


def t(hour: int, minute: int = 0) -> str:
    return utc(2026, 11, 20, hour, minute).isoformat()


@dataclass(frozen=True)
class Day:
    a: models.Employee
    b: models.Employee
    c: models.Employee
    pick: models.Role

    def person(self, code: str) -> models.Employee:
        return {"A": self.a, "B": self.b, "C": self.c}[code]


@pytest.fixture
async def day(db: Database) -> Day:
    """The refresh tests' day: A clocked 14:00-22:00 with a 18:00-18:30 break, picking and
    packing; B working without a clock record; C clocked in at 20:00 and still in."""
    pick = await helpers.role(
        db, key="pick", name="Pick", points_per_item=1.0, expected_per_hour=60
    )
    pack = await helpers.role(
        db, key="pack", name="Pack", points_per_item=2.0, expected_per_hour=30
    )
    team = await helpers.team(db)
    a, b, c = [await helpers.employee(db, code=code, team_id=team.id) for code in "ABC"]
    shift = models.ClockRecord(employee_id=a.id, clock_in=utc(2026, 11, 20, 14),
                               clock_out=utc(2026, 11, 20, 22), work_date=DAY)  # fmt: skip
    still_in = models.ClockRecord(employee_id=c.id, clock_in=utc(2026, 11, 20, 20), work_date=DAY)
    await helpers.add(db, shift, still_in)

    def act(
        who: models.Employee, role: models.Role, h: int, m: int, minutes: int, items: int
    ) -> Any:
        start = utc(2026, 11, 20, h, m)
        return helpers.activity(
            who, role, start, items, window_end=start + timedelta(minutes=minutes), work_date=DAY
        )

    await helpers.add(
        db,
        models.ClockBreak(clock_record_id=shift.id, start=utc(2026, 11, 20, 18), end=utc(2026, 11, 20, 18, 30)),
        act(a, pick, 14, 0, 60, 60), act(a, pack, 15, 0, 60, 30),
        act(a, pick, 16, 30, 90, 90), act(a, pick, 18, 30, 60, 30),
        act(b, pick, 10, 0, 30, 30),
    )  # fmt: skip
    await helpers.refresh_days(db, DAY, now=REFRESHED)
    return Day(a, b, c, pick)


async def explain(gql: GraphQLClient, who: models.Employee, day: date = DAY) -> dict[str, Any]:
    data = await gql.data(EXPLAINED, e=gid("Employee", who.id), day=day.isoformat())
    return data["employee"]  # type: ignore[no-any-return]


def totals(explanation: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f["value"] for f in explanation["figures"]}


async def test_each_days_explanation_totals_are_its_stored_score(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    for code in "ABC":
        found = await explain(gql, day.person(code))

        assert totals(found["scoreExplanation"]) == found["score"], code
        assert found["scoreExplanation"]["agreesWithScore"] is True
        assert found["scoreExplanation"]["computedAt"] == REFRESHED.isoformat()


async def test_the_day_is_explained_as_it_was_counted(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    found = (await explain(gql, day.a))["scoreExplanation"]

    assert found["idleThresholdMinutes"] == 15.0
    assert found["standards"]["productivityGoal"] == 100.0
    assert found["standards"]["roles"] == [
        {"key": "pick", "pointsPerItem": 1.0, "expectedPerHour": 60.0},
        {"key": "pack", "pointsPerItem": 2.0, "expectedPerHour": 30.0},
    ]
    assert found["clockRecords"] == [{
        "clockIn": t(14), "clockOut": t(22), "countedUntil": t(22), "minutes": 480.0,
        "capped": False, "breaks": [{"start": t(18), "end": t(18, 30), "minutes": 30.0}],
    }]  # fmt: skip
    assert found["activeWindows"] == [
        {"start": t(14), "end": t(16), "minutes": 120.0},
        {"start": t(16, 30), "end": t(18), "minutes": 90.0},
        {"start": t(18, 30), "end": t(19, 30), "minutes": 60.0},
    ]
    assert found["outsideAvailable"] == []
    assert found["gaps"] == [
        {"start": t(16), "end": t(16, 30), "minutes": 30.0, "idle": True},
        {"start": t(19, 30), "end": t(22), "minutes": 150.0, "idle": True},
    ]
    assert found["roles"] == [
        {"key": "pick", "items": 180, "pointsPerItem": 1.0, "points": 180.0,
         "expectedPerHour": 60.0, "earnedMinutes": 180.0},
        {"key": "pack", "items": 30, "pointsPerItem": 2.0, "points": 60.0,
         "expectedPerHour": 30.0, "earnedMinutes": 60.0},
    ]  # fmt: skip
    figures = {f["name"]: (f["value"], f["inputs"]) for f in found["figures"]}
    assert figures["earnedMinutes"] == (
        240.0, [{"name": "pick", "value": 180.0}, {"name": "pack", "value": 60.0}]
    )  # fmt: skip
    assert figures["idleMinutes"] == (180.0, [
        {"name": "2026-11-20T16:00:00Z/2026-11-20T16:30:00Z", "value": 30.0},
        {"name": "2026-11-20T19:30:00Z/2026-11-20T22:00:00Z", "value": 150.0},
    ])  # fmt: skip
    assert figures["productivity"] == (53.3, [
        {"name": "earnedMinutes", "value": 240.0}, {"name": "availableMinutes", "value": 450.0},
    ])  # fmt: skip
    open_record = (await explain(gql, day.c))["scoreExplanation"]["clockRecords"]
    assert open_record == [{
        "clockIn": t(20), "clockOut": None, "countedUntil": t(21), "minutes": 60.0,
        "capped": False, "breaks": [],
    }]  # fmt: skip


async def test_a_rate_changed_later_leaves_the_days_explanation_as_it_was_scored(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    await helpers.users(db, ADMIN)
    before = await explain(gql, day.a)
    changed = await gql.data(
        """mutation { upsertRole(input: {key: "pick", name: "Pick", pointsPerItem: 1.5,
           expectedPerHour: 120}) { errors { code } } }"""
    )
    next_day = DAY + timedelta(days=1)
    await helpers.add(db, helpers.activity(day.a, day.pick, utc(2026, 11, 21, 15), 120,
                                           work_date=next_day))  # fmt: skip
    await helpers.refresh_days(db, next_day, now=utc(2026, 11, 21, 21))

    after = await explain(gql, day.a)
    later = (await explain(gql, day.a, next_day))["scoreExplanation"]

    assert changed == {"upsertRole": {"errors": []}}
    assert after == before  # the score, its standards and every figure as they were
    assert after["scoreExplanation"]["roles"][0]["expectedPerHour"] == 60.0
    assert later["standards"]["id"] != before["scoreExplanation"]["standards"]["id"]
    assert later["roles"] == [{"key": "pick", "items": 120, "pointsPerItem": 1.5,
                               "points": 180.0, "expectedPerHour": 120.0, "earnedMinutes": 60.0}]  # fmt: skip
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(models.StandardSet)) == 2


async def test_data_changed_since_the_score_is_explained_and_said_to_disagree(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    await helpers.add(db, helpers.activity(day.b, day.pick, utc(2026, 11, 20, 11), 10,
                                           work_date=DAY))  # fmt: skip

    found = await explain(gql, day.b)

    assert found["score"]["itemsProcessed"] == 30
    assert found["scoreExplanation"]["agreesWithScore"] is False
    assert totals(found["scoreExplanation"])["itemsProcessed"] == 40
    await helpers.refresh_days(db, DAY, now=REFRESHED)
    again = await explain(gql, day.b)
    assert again["scoreExplanation"]["agreesWithScore"] is True
    assert totals(again["scoreExplanation"]) == again["score"]


async def test_a_finalized_day_is_explained_as_of_its_last_computation(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    """Finalizing changes no figure, nor when they were computed: C's open record still
    counts to that instant."""
    await db.write(lambda session: finalize_day(
        session=session, work_date=DAY, now=REFRESHED, idle_threshold=timedelta(minutes=15),
        goal=100.0,
    ))  # fmt: skip

    found = (await explain(gql, day.c))["scoreExplanation"]

    assert (found["computedAt"], found["agreesWithScore"]) == (REFRESHED.isoformat(), True)
    assert found["clockRecords"][0]["countedUntil"] == t(21)


async def test_no_score_or_unrecorded_standards_explain_nothing(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    older = DAY - timedelta(days=1)
    await helpers.add(db, helpers.score(day.a, older, items_processed=5))

    unrecorded = await explain(gql, day.a, older)
    none = await explain(gql, day.a, DAY - timedelta(days=2))

    assert (unrecorded["score"]["itemsProcessed"], unrecorded["scoreExplanation"]) == (5, None)
    assert (none["score"], none["scoreExplanation"]) == (None, None)


async def test_the_employee_and_their_managers_see_it_and_no_colleague_does(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    a, b = day.a, day.b
    own = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=a.id)
    manager = Viewer(user_id=8, role=UserRole.MANAGER, team_ids=frozenset({a.team_id or 0}))
    other_manager = Viewer(user_id=9, role=UserRole.MANAGER, team_ids=frozenset({0}))
    board = f"""{{ leaderboard(from: "{DAY}", to: "{DAY}", metric: ITEMS) {{ edges {{ node {{
        employee {{ code scoreExplanation(date: "{DAY}") {{ agreesWithScore }} }} }} }} }} }}"""

    mine = (await explain(gql.signed_in_as(own), a))["scoreExplanation"]
    managed = (await explain(gql.signed_in_as(manager), b))["scoreExplanation"]
    hidden = await gql.signed_in_as(other_manager).execute(
        EXPLAINED, e=gid("Employee", a.id), day=DAY.isoformat()
    )
    seen_by_a = await gql.signed_in_as(own).execute(board)

    assert (mine["agreesWithScore"], managed["agreesWithScore"]) == (True, True)
    assert hidden["data"] == {"employee": None}  # what they may not see does not exist
    assert [e["node"]["employee"] for e in seen_by_a["data"]["leaderboard"]["edges"]] == [
        {"code": "A", "scoreExplanation": {"agreesWithScore": True}},
        {"code": "", "scoreExplanation": None},  # B and C: a colleague's badge code is hidden too
        {"code": "", "scoreExplanation": None},
    ]
    assert [(e["path"][2], e["extensions"]["code"]) for e in seen_by_a["errors"]] == [
        (1, "FORBIDDEN"), (2, "FORBIDDEN"),
    ]  # fmt: skip


PAGE = """
query($first: Int!, $day: Date!) { employees(first: $first) { edges { node {
  code score(date: $day) { itemsProcessed earnedMinutes }
  scoreExplanation(date: $day) {
    agreesWithScore standards { id } clockRecords { minutes breaks { start } }
    roles { key items } figures { name value inputs { name value } }
  }
} } } }
"""
# the employees page, the scores (shared by `score` and the explanation), the days'
# activities, their clock records with their breaks, the standard sets
EXPLANATION_PAGE_SELECTS = 5


@pytest.mark.parametrize("n", [1, 10])
async def test_a_page_of_explanations_costs_the_same_statements_for_1_or_10(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    pick = await helpers.role(db, key="pick", points_per_item=1.0, expected_per_hour=60)
    people = [models.Employee(code=f"P{k:02d}", name=f"P{k:02d}") for k in range(10)]
    await helpers.add(db, *people)
    records = [models.ClockRecord(employee_id=p.id, clock_in=utc(2026, 11, 20, 14),
                                  clock_out=utc(2026, 11, 20, 18), work_date=DAY) for p in people]  # fmt: skip
    await helpers.add(db, *records)
    await helpers.add(
        db,
        *(models.ClockBreak(clock_record_id=r.id, start=utc(2026, 11, 20, 16),
                            end=utc(2026, 11, 20, 16, 15)) for r in records),
        *(helpers.activity(p, pick, utc(2026, 11, 20, 14, 5 * k), 10 + k, work_date=DAY)
          for p in people for k in range(3)),
    )  # fmt: skip
    await helpers.refresh_days(db, DAY, now=REFRESHED)
    await uncached.data(PAGE, first=n, day=DAY.isoformat())  # the request's own set-up
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    data = await uncached.data(PAGE, first=n, day=DAY.isoformat())
    seen = server.stop() if server is not None else None
    statements.counting = False

    nodes = [edge["node"] for edge in data["employees"]["edges"]]
    assert len(nodes) == n
    assert statements.count == EXPLANATION_PAGE_SELECTS, statements.statements
    if seen is not None:  # reads on autocommit connections: the SELECTs and nothing else
        assert seen == {
            "Questions": EXPLANATION_PAGE_SELECTS, "Com_select": EXPLANATION_PAGE_SELECTS,
            "Com_commit": 0, "Com_rollback": 0, "Com_set_option": 0, "Com_admin_commands": 0,
        }  # fmt: skip
    for node in nodes:
        explained = node["scoreExplanation"]
        assert explained["agreesWithScore"] is True
        assert explained["roles"] == [{"key": "pick", "items": node["score"]["itemsProcessed"]}]
        assert explained["clockRecords"] == [{"minutes": 240.0, "breaks": [{"start": t(16)}]}]
        figures = {f["name"]: f["value"] for f in explained["figures"]}
        assert (figures["itemsProcessed"], figures["earnedMinutes"]) == (
            node["score"]["itemsProcessed"], node["score"]["earnedMinutes"],
        )  # fmt: skip
    assert nodes[0]["score"]["itemsProcessed"] == 10 + 11 + 12


async def test_an_explanation_is_cached_until_its_day_is_scored_again(
    db: Database, gql: GraphQLClient, day: Day
) -> None:
    async def asked() -> tuple[str, dict[str, Any]]:
        response = await gql.http.post(
            "/graphql", headers=gql.headers,
            json={"query": EXPLAINED, "variables": {"e": gid("Employee", day.b.id), "day": str(DAY)}},
        )  # fmt: skip
        return response.headers["x-prodhub-cache"], response.json()["data"]["employee"]

    first, hit = await asked(), await asked()
    await helpers.add(db, helpers.activity(day.b, day.pick, utc(2026, 11, 20, 11), 10,
                                           work_date=DAY))  # fmt: skip
    added = await asked()
    await helpers.refresh_days(db, DAY, now=REFRESHED)
    rescored = await asked()

    assert (first[0], hit[0], added[0], rescored[0]) == ("miss", "hit", "miss", "miss")
    assert hit[1] == first[1]
    assert added[1]["scoreExplanation"]["agreesWithScore"] is False
    assert totals(rescored[1]["scoreExplanation"])["itemsProcessed"] == 40
    assert rescored[1]["scoreExplanation"]["agreesWithScore"] is True


FULL = """scoreExplanation { date computedAt agreesWithScore idleThresholdMinutes
  standards { id firstUsedAt idleThresholdMinutes productivityGoal leaderboardMinAvailableMinutes
              roles { key pointsPerItem expectedPerHour } }
  clockRecords { clockIn clockOut countedUntil minutes capped breaks { start end minutes } }
  activeWindows { start end minutes } outsideAvailable { start end minutes }
  gaps { start end minutes idle }
  roles { key items pointsPerItem points expectedPerHour earnedMinutes }
  figures { name value formula inputs { name value } } }"""


async def test_the_cost_limit_counts_each_explanations_lists(
    db: Database, gql: GraphQLClient, day: Day, statements: StatementCounter
) -> None:
    """About 1,500 fields an explanation at the lists' expected lengths: a page of 20 runs,
    one of 40 is refused before a statement."""
    allowed = await gql.data(f"{{ employees(first: 20) {{ edges {{ node {{ {FULL} }} }} }} }}")
    statements.counting = True
    body = await gql.execute(f"{{ employees(first: 40) {{ edges {{ node {{ {FULL} }} }} }} }}")
    statements.counting = False

    assert len(allowed["employees"]["edges"]) == 3
    assert body["data"] is None and statements.count == 0
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("the operation may return about 61,360 fields, more than the 50,000 allowed: "
         "ask for fewer items per page or fewer fields", "COST_LIMIT_EXCEEDED")
    ]  # fmt: skip
