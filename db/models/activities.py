"""Scanner activities. Every row carries its ``work_date``, computed in Python from the team's
timezone, so that no query ever needs a timezone function on a column."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        # An employee's day, covering what its totals per role read: the breakdown is summed
        # from the index alone, without a row lookup per activity.
        Index(
            "ix_activities_employee_day_totals",
            "employee_id",
            "work_date",
            "role_id",
            "items_count",
            "voided_at",
        ),
        Index("ix_activities_employee_id_window_start_id", "employee_id", "window_start", "id"),
        Index("ix_activities_work_date_role_id", "work_date", "role_id"),
        # A day's activities in employee order (and by id within one, the primary key that
        # ends every InnoDB secondary index): the refresh streams them one employee at a time.
        Index("ix_activities_work_date_employee_id", "work_date", "employee_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    items_count: Mapped[int]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    work_date: Mapped[date]
    source: Mapped[str] = mapped_column(String(32), default="scanner")
    external_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
