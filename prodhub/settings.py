"""One settings object for every process, read from ``PRODHUB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRODHUB_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./prodhub.db"
    redis_url: str | None = None
    env: Literal["development", "production"] = "development"
    timezone: str = "America/Chicago"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    db_pool_recycle_seconds: int = Field(default=1800, ge=60)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    connecteam_api_key: SecretStr | None = None
    connecteam_base_url: str = "https://api.connecteam.com"
    cors_origins: list[str] = []
    # Whole responses are cached for this long (0 = off); every committed write drops them.
    cache_ttl_seconds: float = Field(default=30, ge=0, le=3600)
    cache_max_mb: int = Field(default=64, ge=1)  # the in-memory cache's bound (not Redis's)
    idle_threshold_minutes: int = Field(default=15, ge=1)
    productivity_goal: float = Field(default=100.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.is_production and self.secret_key.get_secret_value() == DEFAULT_SECRET:
            raise ValueError("PRODHUB_SECRET_KEY must be set in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once on first use (never at import time)."""
    return Settings()
