"""Gamification: badges, each awarded once per employee at finalization, and streaks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow


class Badge(Base):
    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("employee_id", "badge"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    badge: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[date]
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Streak(Base):
    """An employee's standing over finalized days, rewritten by ``finalize_day``: the current
    and longest runs of worked days at or above the goal, and items over all of them."""

    __tablename__ = "streaks"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    current: Mapped[int] = mapped_column(default=0)
    longest: Mapped[int] = mapped_column(default=0)
    last_worked: Mapped[date | None]  # the latest finalized day the employee worked
    items_total: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
