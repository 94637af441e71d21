"""Job runs, job controls (pause/resume) and Connecteam sync runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow


class JobRun(Base):
    """One run of a job for one tick; ``(job, tick)`` is unique so a tick runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "tick"),
        Index("ix_job_runs_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    tick: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))  # RUNNING | SUCCEEDED | FAILED | SKIPPED
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class JobControl(Base):
    __tablename__ = "job_controls"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_kind_started_at", "kind", "started_at"),
        Index("ix_sync_runs_kind_key", "kind", "key", unique=True),
        Index("ix_sync_runs_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # TIME_CLOCK | SCHEDULES | USERS
    # The job's tick (a backfill's chunk adds its first date); null on runs before 0005.
    key: Mapped[str | None] = mapped_column(String(48))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16))  # QUEUED, RUNNING, SUCCEEDED, FAILED
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    range_start: Mapped[date | None]  # the work dates a time-clock or schedule sync read
    range_end: Mapped[date | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
