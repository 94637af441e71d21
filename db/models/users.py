"""Who may sign in (users) and which devices may push activities (API keys)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, utcnow


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # ADMIN | MANAGER | EMPLOYEE
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), unique=True)
    team_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # a manager's teams
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))  # INGEST | DISPLAY
    # A DISPLAY key's team, the one leaderboard it shows; None for any other scope.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
