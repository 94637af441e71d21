"""Persistence: SQLAlchemy models, the per-process engine, and Alembic migrations."""
