"""Connecteam's users as the last sync saw them, and the employee each one is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


class ConnecteamUser(Base):
    """One per Connecteam user; ``unmatched`` says why no employee could be chosen for it
    automatically (an admin maps it by hand), null once it is someone's."""

    __tablename__ = "connecteam_users"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    modified_at: Mapped[int | None] = mapped_column(BigInteger)  # Connecteam's, epoch seconds
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    unmatched: Mapped[str | None] = mapped_column(String(24))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
