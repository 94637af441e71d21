"""Roles: activity types with their engineered standards."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps


class Role(Timestamps, Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    points_per_item: Mapped[float]
    expected_per_hour: Mapped[float]
