"""What the scoring jobs compute: daily scores and idle periods."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow
from db.models.standards import DIGEST_LENGTH


class DailyScore(Base):
    """One row per employee and work date. ``team_id`` is the team on that day;
    ``standard_set_id`` the standards it was computed with (null: computed before they were
    recorded)."""

    __tablename__ = "daily_scores"
    __table_args__ = (UniqueConstraint("employee_id", "work_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    work_date: Mapped[date]
    items_processed: Mapped[int] = mapped_column(default=0)
    points_earned: Mapped[float] = mapped_column(default=0.0)
    earned_minutes: Mapped[float] = mapped_column(default=0.0)
    active_minutes: Mapped[float] = mapped_column(default=0.0)
    clocked_minutes: Mapped[float] = mapped_column(default=0.0)
    break_minutes: Mapped[float] = mapped_column(default=0.0)
    available_minutes: Mapped[float] = mapped_column(default=0.0)
    idle_minutes: Mapped[float] = mapped_column(default=0.0)
    productivity: Mapped[float | None]
    utilization: Mapped[float | None]
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    standard_set_id: Mapped[str | None] = mapped_column(
        String(DIGEST_LENGTH), ForeignKey("standard_sets.id")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# A one-day leaderboard is read down these in its order (metric desc, employee), from the first
# entry of a page to its last (``services.leaderboard``).
Index(
    "ix_daily_scores_board_points",
    DailyScore.work_date,
    DailyScore.points_earned.desc(),
    DailyScore.employee_id,
)
Index(
    "ix_daily_scores_board_items",
    DailyScore.work_date,
    DailyScore.items_processed.desc(),
    DailyScore.employee_id,
)
Index(
    "ix_daily_scores_team_board_points",
    DailyScore.team_id,
    DailyScore.work_date,
    DailyScore.points_earned.desc(),
    DailyScore.employee_id,
)


class IdlePeriod(Base):
    __tablename__ = "idle_periods"
    __table_args__ = (
        UniqueConstraint("employee_id", "start"),
        Index("ix_idle_periods_employee_id_work_date", "employee_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    work_date: Mapped[date]
    start: Mapped[datetime]
    end: Mapped[datetime]
    minutes: Mapped[float]
