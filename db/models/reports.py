"""Daily reports: each team's day as it was when finalized, kept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class DailyReport(Base):
    __tablename__ = "daily_reports"
    __table_args__ = (UniqueConstraint("team_id", "work_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    work_date: Mapped[date]
    built_at: Mapped[datetime]
    # totals, top performers, bottlenecks and flags (``services.daily_reports``)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
