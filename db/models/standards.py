"""Standard sets: the figures a day's scores were computed with, content-addressed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow

DIGEST_LENGTH = 64  # a SHA-256 in hex


class StandardSet(Base):
    """Every figure scoring used (each role's points per item and expected rate, the idle
    threshold, the productivity goal, the leaderboard's minimum available minutes), keyed by
    the SHA-256 of their canonical JSON: the same figures are the same row, stamped once
    (``created_at``: when scores were first computed with them) and never changed."""

    __tablename__ = "standard_sets"

    id: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    idle_threshold_minutes: Mapped[float]
    productivity_goal: Mapped[float]
    leaderboard_min_available_minutes: Mapped[float]
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
