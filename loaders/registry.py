"""All loaders of one request, each created on first use."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from db.engine import Database
from db.models import Role
from loaders.activities import ActivityPageByEmployeeLoader, RoleTotalsByEmployeeDateLoader
from loaders.base import RowByIdLoader
from loaders.clock_records import (
    BreaksByClockRecordLoader,
    ClockRecordsByEmployeeDateLoader,
    OpenClockRecordByEmployeeLoader,
)
from loaders.gamification import BadgesByEmployeeLoader, StreakByEmployeeLoader
from loaders.scores import (
    IdlePeriodsByEmployeeDateLoader,
    ScoreByEmployeeDateLoader,
    ScoresByEmployeeRangeLoader,
)

M = TypeVar("M")


class Loaders:
    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        self._by_id: dict[type[Any], RowByIdLoader[Any]] = {}

    def release(self) -> None:
        """Drop what the loaders hold, once the request's answer is computed. The GraphQL
        execution that used them is a reference cycle (graphql-core's execution context
        keeps bound methods of itself) reaching the context, so without this every row and
        future a request loaded would wait for the garbage collector: ~2,000 objects a
        leaderboard page, and a 15 ms collection every dozen pages."""
        made = [
            *self._by_id.values(),
            *(v for v in vars(self).values() if isinstance(v, DataLoader)),
        ]
        for loader in made:
            loader.clear_all()
            loader.batch = None

    def by_id(self, model: type[M]) -> RowByIdLoader[M]:
        """The request's loader of ``model`` rows by primary key (one per table)."""
        if model not in self._by_id:
            self._by_id[model] = RowByIdLoader(self.db, model)
        return self._by_id[model]

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
        return RoleTotalsByEmployeeDateLoader(self.db, self.by_id(Role))

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

    @cached_property
    def streak_by_employee(self) -> StreakByEmployeeLoader:
        return StreakByEmployeeLoader(self.db)

    @cached_property
    def badges_by_employee(self) -> BadgesByEmployeeLoader:
        return BadgesByEmployeeLoader(self.db)
