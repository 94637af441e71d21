"""Badges, each awarded once per employee at finalization."""

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
