"""What the work-speed export's tests share: one hand-computed day, and the query.

Ann (team "floor", Chicago) on 2026-11-19, clocked 14:00-18:00 UTC with a break 16:00-16:30:
picking (2 points an item, 60 an hour) 14:00-14:30 30 items, 14:30-15:00 40 items (the two
touch: one window of 70), 16:30-16:40 60 items (360 an hour: IMPOSSIBLE_RATE); packing (0.5
points, 120 an hour) 15:00-15:20 50 items. Scored by the refresh: idle 15:20-16:00 (40 min)
and 16:40-18:00 (80 min: LONG_IDLE, resolved by the team's manager with a note that starts
like a formula)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.flags import FlagResolution, resolve_flag
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, utc

DAY = date(2026, 11, 19)
NOTE = "=1+2, ok"
EXPORT = """query($employee: ID!, $from: Date!, $to: Date!) {
  workSpeedExport(employeeId: $employee, from: $from, to: $to) {
    export { employee { code } from to days {
      date idleThresholdMinutes productivityGoal
      score { itemsProcessed pointsEarned earnedMinutes activeMinutes clockedMinutes breakMinutes
              availableMinutes idleMinutes productivity utilization isFinal }
      roles { key name pointsPerItem expectedPerHour items points earnedMinutes activeMinutes
              ratePerHour windows { start end minutes items ratePerHour } }
      idlePeriods { start end minutes }
      flags { rule status details resolvedBy resolvedAt resolutionNote }
    } }
    errors { field code message } } }"""


@dataclass(frozen=True)
class Floor:
    team: models.Team
    ann: models.Employee
    bob: models.Employee  # another team's
    manager: Viewer  # of Ann's team
    other_manager: Viewer  # of Bob's
    own: Viewer  # Ann's user
    picking: models.Role


async def hand_day(db: Database) -> Floor:
    floor = await helpers.team(db, key="floor", timezone="America/Chicago")
    dock = await helpers.team(db, key="dock", timezone="America/Chicago")
    ann = await helpers.employee(db, code="ANN", name="Ann", team_id=floor.id)
    bob = await helpers.employee(db, code="BOB", name="Bob", team_id=dock.id)
    picking = await helpers.role(db, key="picking", name="Picking", points_per_item=2.0,
                                 expected_per_hour=60.0)  # fmt: skip
    packing = await helpers.role(db, key="packing", name="Packing", points_per_item=0.5,
                                 expected_per_hour=120.0)  # fmt: skip
    record = models.ClockRecord(employee_id=ann.id, clock_in=utc(2026, 11, 19, 14),
                                clock_out=utc(2026, 11, 19, 18), work_date=DAY)  # fmt: skip
    await helpers.add(db, record)
    await helpers.add(
        db,
        models.ClockBreak(clock_record_id=record.id, start=utc(2026, 11, 19, 16),
                          end=utc(2026, 11, 19, 16, 30)),
        helpers.activity(ann, picking, utc(2026, 11, 19, 14), 30,
                         window_end=utc(2026, 11, 19, 14, 30)),
        helpers.activity(ann, picking, utc(2026, 11, 19, 14, 30), 40,
                         window_end=utc(2026, 11, 19, 15)),
        helpers.activity(ann, packing, utc(2026, 11, 19, 15), 50,
                         window_end=utc(2026, 11, 19, 15, 20)),
        helpers.activity(ann, picking, utc(2026, 11, 19, 16, 30), 60),
    )  # fmt: skip
    await helpers.refresh_days(db, DAY, now=NOW)
    manager = Viewer(user_id=2, email="lead@example.com", role=UserRole.MANAGER,
                     team_ids=frozenset({floor.id}))  # fmt: skip
    other = Viewer(user_id=3, email="dock@example.com", role=UserRole.MANAGER,
                   team_ids=frozenset({dock.id}))  # fmt: skip
    own = Viewer(user_id=4, email="ann@example.com", role=UserRole.EMPLOYEE, employee_id=ann.id)
    await helpers.users(db, ADMIN, manager, other, own)
    async with db.session() as session, session.begin():
        idle = await session.scalar(select(models.Flag.id).where(models.Flag.rule == "LONG_IDLE"))
        assert idle is not None
        await resolve_flag(session=session, actor=manager, flag_id=idle,
                           resolution=FlagResolution.RESOLVED, note=NOTE, now=NOW)  # fmt: skip
    return Floor(floor, ann, bob, manager, other, own, picking)
