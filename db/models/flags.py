"""Review flags raised by the scoring rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow


class Flag(Base):
    """A review item. ``(rule, subject_key)`` is unique so recomputation never duplicates it."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("rule", "subject_key"),
        # The review list (services/flags.py), newest work date first: by status, by
        # team and status, or all.
        Index("ix_flags_status_work_date", "status", "work_date"),
        Index("ix_flags_team_id_status_work_date", "team_id", "status", "work_date"),
        Index("ix_flags_work_date", "work_date"),
        Index("ix_flags_employee_id_work_date", "employee_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject_key: Mapped[str] = mapped_column(String(128))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    work_date: Mapped[date]
    activity_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("activities.id"))
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(String(1000))
