"""One settings object for every process, read from ``PRODHUB_*`` environment variables.

Every field is read by some code: a setting that nothing reads is not defined here.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
MIN_SECRET_BYTES = 32  # an HMAC-SHA256 key (tokens, cursors) shorter than this is weak
REPLICA_POLL_SECONDS = 1.0  # how often a web process measures its replicas' lag


# What a finalized day can push to Connecteam, by the daily score's column.
PUSHED_KPIS = {
    "items": "items_processed",
    "points": "points_earned",
    "productivity": "productivity",
    "earned_minutes": "earned_minutes",
    "active_minutes": "active_minutes",
    "idle_minutes": "idle_minutes",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRODHUB_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./prodhub.db"
    redis_url: str | None = None
    env: Literal["development", "production"] = "development"
    timezone: str = "America/Chicago"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    db_pool_recycle_seconds: int = Field(default=1800, ge=60)
    # The longest a unit of work waits for a pooled connection (both engines); past it the
    # request fails SERVICE_UNAVAILABLE (a 503 on the CSV route) instead of hanging.
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    # Executions (GraphQL requests past the response cache, CSV reports) running at once in a
    # process (prodhub/admission.py); unset, the read pool's size; 0, no limit. Beyond it a
    # request waits up to queue_wait_seconds in a queue of max_queued_requests, then is shed:
    # 503 OVERLOADED with Retry-After. A queue much longer than what the process serves in
    # that wait only makes every queued request wait the whole wait before it is shed
    # (bench/overload.py: 20 against 100 at 1x and 2x capacity).
    max_concurrent_requests: int | None = Field(default=None, ge=0, le=10_000)
    max_queued_requests: int = Field(default=20, ge=0, le=100_000)
    queue_wait_seconds: float = Field(default=1.0, ge=0, le=10)
    # MariaDB replicas of database_url that web requests read from, comma-separated (none by
    # default; SQLite has none). Jobs, the scheduler and commands read the primary.
    database_replica_urls: Annotated[list[str], NoDecode] = []
    # A replica further behind the primary than this is not read (the primary is, until it
    # catches up); /readyz reports it degraded.
    replica_max_lag_seconds: float = Field(default=5.0, gt=0, le=300)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)  # signs access tokens and cursors
    access_token_ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Browser origins allowed to call the API (CORS), comma-separated; none by default.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Proxies (addresses or networks, comma-separated; none by default) whose X-Forwarded-For
    # is believed: the client is the first hop from the right that is not one of them.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # The longest a response is kept (its cache hints may say less; 0 = no cache). Writes drop
    # the responses that read what they changed, whatever their age.
    cache_ttl_seconds: float = Field(default=300, ge=0, le=3600)
    cache_max_mb: int = Field(default=64, ge=1)  # per process: the memory store, or body copies
    # A gap in available time counts as idle from this length on.
    idle_threshold_minutes: int = Field(default=15, ge=1, le=480)
    # An activity whose window ends later than this after now is refused (FUTURE_WINDOW): a
    # device's clock may run a little ahead, not months.
    future_tolerance_minutes: int = Field(default=5, ge=0, le=24 * 60)
    # Connecteam: without a key the sync jobs report "not configured" and do nothing.
    connecteam_api_key: SecretStr | None = None
    connecteam_base_url: str = "https://api.connecteam.com"
    # Push-back (off while empty): each finalized day's KPIs of mapped employees, written to
    # these Connecteam performance indicators, e.g. {"items": 11, "points": 12}.
    connecteam_performance_indicators: dict[str, int] = Field(default_factory=dict)
    # A worked day counts toward a streak at this productivity (percent) or above.
    productivity_goal: float = Field(default=100.0, gt=0, le=1000)
    # The scheduler's clock, stopped at this instant: tests of the processes fix what is due.
    # Unset (always, in production), the wall clock.
    scheduler_frozen_at: AwareDatetime | None = None
    # Log lines: ``json`` (one JSON object a line, for a collector) or ``console`` (for a
    # terminal); unset, json in production and console in development.
    log_format: Literal["json", "console"] | None = None
    # Unset: INFO for the processes that serve (serve, worker, scheduler), WARNING for a
    # command, whose answer is what it prints.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    # OpenTelemetry traces (off: nothing of OpenTelemetry is imported). Where they go is the
    # SDK's standard configuration: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, ...
    otel_enabled: bool = False
    # Live leaderboards (GraphQL subscriptions over graphql-transport-ws at /graphql): how
    # many one connection may hold, and one web process; beyond either a subscribe is
    # refused TOO_MANY_SUBSCRIPTIONS.
    subscriptions_per_connection: int = Field(default=10, ge=1, le=1000)
    subscriptions_per_process: int = Field(default=5000, ge=0, le=1_000_000)
    # The server pings every connection this often; one whose pong has not come by the next
    # ping is closed (its subscriptions end).
    subscription_ping_seconds: float = Field(default=20.0, gt=0, le=600)
    # A subscriber that has not taken an update after this long, when a newer one arrives,
    # is a slow consumer: its subscription ends with SLOW_CONSUMER (it holds one page at
    # most meanwhile: a newer one replaces it).
    subscription_stall_seconds: float = Field(default=30.0, gt=0, le=3600)
    # How often a connection's token is checked again (revoked, or its user changed); it
    # also ends at its expiry, to the second.
    subscription_recheck_seconds: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("connecteam_performance_indicators")
    @classmethod
    def _known_kpis(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(PUSHED_KPIS))
        if unknown:
            raise ValueError(f"unknown KPIs {unknown}; these can be pushed: {list(PUSHED_KPIS)}")
        if any(indicator < 1 for indicator in value.values()):
            raise ValueError("indicator ids are Connecteam's, from 1")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("cors_origins", "trusted_proxies", "database_replica_urls", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        """Each as uvicorn's proxy middleware reads it (a network with host bits set, or a name,
        it would take as a literal that never matches: refused here instead)."""
        proxies = []
        for proxy in value:
            try:
                proxies.append(str(ip_network(proxy) if "/" in proxy else ip_address(proxy)))
            except ValueError:
                raise ValueError(f"{proxy} is not an IP address or network") from None
        return proxies

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.is_production and secret == DEFAULT_SECRET:
            raise ValueError("PRODHUB_SECRET_KEY must be set in production")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"PRODHUB_SECRET_KEY needs at least {MIN_SECRET_BYTES} bytes")
        if self.is_production and self.scheduler_frozen_at is not None:
            raise ValueError("PRODHUB_SCHEDULER_FROZEN_AT is for tests, not production")
        if self.database_replica_urls and self.is_sqlite:
            raise ValueError("SQLite has no replicas: PRODHUB_DATABASE_REPLICA_URLS is for MariaDB")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def concurrent_requests(self) -> int:
        """The executions a process runs at once (0: no limit). By default the read pool's
        size: each execution's first read finds a pooled connection, the overflow serves the
        loader batches it runs side by side, and more at once would only wait on the pool
        (and on the one core a process has) instead of in the bounded queue in front."""
        if self.max_concurrent_requests is None:
            return self.db_pool_size
        return self.max_concurrent_requests

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.is_production)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def replica_staleness_seconds(self) -> float:
        """The most a replica that reads are sent to may miss of the primary's commits: the
        lag bound, one poll for the lag to be measured and one for it to be noticed. Zero
        without replicas."""
        if not self.database_replica_urls:
            return 0.0
        return self.replica_max_lag_seconds + 2 * REPLICA_POLL_SECONDS

    @property
    def signing_key(self) -> bytes:
        return self.secret_key.get_secret_value().encode()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
