"""Declarative base with a naming convention, so constraint names are the same on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Double, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on MySQL, but INTEGER on SQLite so that it stays an auto-incrementing ROWID alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), float: Double()}


class Timestamps:
    """When a row was made and last changed: for people reading the database, never for the
    API, so not loaded with the row (deferred: reading one in async code would be a lazy load,
    which fails loudly, instead of silently costing a statement)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, deferred=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, deferred=True)
