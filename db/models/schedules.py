"""Scheduled shifts, synced from Connecteam's scheduler."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, Timestamps


class ScheduledShift(Timestamps, Base):
    __tablename__ = "scheduled_shifts"
    __table_args__ = (
        Index("ix_scheduled_shifts_team_id_work_date", "team_id", "work_date"),
        Index("ix_scheduled_shifts_employee_id_work_date", "employee_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    work_date: Mapped[date]
    title: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
