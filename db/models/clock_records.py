"""Clock records (from Connecteam's time clock or an admin correction) and their breaks.

A record an admin voided stays, with when and why (``voided_at``, ``void_reason``), and
counts for nothing: every read that scores, dates or shows who is clocked in skips it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, Timestamps


class ClockRecord(Timestamps, Base):
    __tablename__ = "clock_records"
    __table_args__ = (
        Index("ix_clock_records_employee_id_work_date", "employee_id", "work_date"),
        Index("ix_clock_records_employee_id_clock_out", "employee_id", "clock_out"),
        Index("ix_clock_records_work_date_source", "work_date", "source"),  # a day's sync
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    clock_in: Mapped[datetime]
    clock_out: Mapped[datetime | None]
    work_date: Mapped[date]
    source: Mapped[str] = mapped_column(String(32), default="connecteam")
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))


class ClockBreak(Base):
    __tablename__ = "clock_breaks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clock_record_id: Mapped[int] = mapped_column(
        ForeignKey("clock_records.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[datetime]
    end: Mapped[datetime | None]
