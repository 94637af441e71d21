"""All loaders of one request, created on first use."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from db.engine import Database
from loaders.activity import (
    ActivityPageByEmployeeLoader,
    BreaksByClockRecordLoader,
    ClockRecordsByEmployeeDateLoader,
    OpenClockRecordByEmployeeLoader,
    RoleTotalsByEmployeeDateLoader,
)
from loaders.org import (
    ActivityByIdLoader,
    ClockRecordByIdLoader,
    EmployeeByIdLoader,
    RoleByIdLoader,
    TeamByIdLoader,
)
from loaders.scores import (
    IdlePeriodsByEmployeeDateLoader,
    ScoreByEmployeeDateLoader,
    ScoresByEmployeeRangeLoader,
)


class Loaders:
    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now

    @cached_property
    def team_by_id(self) -> TeamByIdLoader:
        return TeamByIdLoader(self.db)

    @cached_property
    def role_by_id(self) -> RoleByIdLoader:
        return RoleByIdLoader(self.db)

    @cached_property
    def employee_by_id(self) -> EmployeeByIdLoader:
        return EmployeeByIdLoader(self.db)

    @cached_property
    def activity_by_id(self) -> ActivityByIdLoader:
        return ActivityByIdLoader(self.db)

    @cached_property
    def clock_record_by_id(self) -> ClockRecordByIdLoader:
        return ClockRecordByIdLoader(self.db)

    @cached_property
    def score_by_employee_date(self) -> ScoreByEmployeeDateLoader:
        return ScoreByEmployeeDateLoader(self.db)

    @cached_property
    def scores_by_employee_range(self) -> ScoresByEmployeeRangeLoader:
        return ScoresByEmployeeRangeLoader(self.db)

    @cached_property
    def idle_periods_by_employee_date(self) -> IdlePeriodsByEmployeeDateLoader:
        return IdlePeriodsByEmployeeDateLoader(self.db)

    @cached_property
    def role_totals_by_employee_date(self) -> RoleTotalsByEmployeeDateLoader:
        return RoleTotalsByEmployeeDateLoader(self.db, self.role_by_id)

    @cached_property
    def clock_records_by_employee_date(self) -> ClockRecordsByEmployeeDateLoader:
        return ClockRecordsByEmployeeDateLoader(self.db)

    @cached_property
    def open_clock_record_by_employee(self) -> OpenClockRecordByEmployeeLoader:
        return OpenClockRecordByEmployeeLoader(self.db, self.now)

    @cached_property
    def breaks_by_clock_record(self) -> BreaksByClockRecordLoader:
        return BreaksByClockRecordLoader(self.db)

    @cached_property
    def activity_page_by_employee(self) -> ActivityPageByEmployeeLoader:
        return ActivityPageByEmployeeLoader(self.db)
