"""Employees: badge code, team, default role, and their Connecteam mapping."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps


class Employee(Timestamps, Base):
    __tablename__ = "employees"
    __table_args__ = (
        Index("ix_employees_name_id", "name", "id"),
        Index("ix_employees_team_id_name_id", "team_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    default_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    connecteam_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
