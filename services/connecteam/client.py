"""An async client of Connecteam's API, on httpx, as its published OpenAPI document describes it.

- Auth is the ``X-API-KEY`` header; the key is never part of a log line or an error.
- Answers are ``{requestId, data, paging?}``; lists page with ``limit``/``offset`` (500 at
  most) until a short page.
- A 429 carries no ``Retry-After``: the wait comes from the ``x-ratelimit-*`` headers (the
  reset, in seconds or as an epoch), bounded and with jitter, else an exponential backoff.
  5xx answers and timeouts are retried too, a bounded number of times (tenacity); any other
  4xx is not retried and is reported with Connecteam's own message.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from core.settings import Settings
from services.connecteam.models import (
    ScheduledShift,
    Scheduler,
    TimeClock,
    User,
    UserTimeActivity,
)

PAGE_SIZE = 500
MAX_RANGE = timedelta(days=31)  # time activities: one request covers at most this many days
TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)


def day_chunks(first: date, last: date) -> list[tuple[date, date]]:
    """``first`` to ``last`` (both included) in spans of at most ``MAX_RANGE``, in order."""
    chunks = []
    while first <= last:
        end = min(last, first + MAX_RANGE - timedelta(days=1))
        chunks.append((first, end))
        first = end + timedelta(days=1)
    return chunks


class ConnecteamError(Exception):
    """A call that failed for good (after its retries, or a 4xx that retrying cannot fix)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    def __init__(self, reason: str, wait_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # in all, the first included
    backoff_seconds: float = 0.5  # doubled per attempt when Connecteam says nothing
    max_wait_seconds: float = 30.0  # one wait, at most


def from_settings(settings: Settings) -> ConnecteamClient | None:
    """The client ``PRODHUB_CONNECTEAM_*`` configure; None without a key."""
    if settings.connecteam_api_key is None:
        return None
    return ConnecteamClient(
        api_key=settings.connecteam_api_key.get_secret_value(),
        base_url=settings.connecteam_base_url,
    )


class ConnecteamClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={"X-API-KEY": api_key}, timeout=timeout
        )
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self.calls = 0  # HTTP requests sent, retries included
        self.pages = 0  # answers received (a page of a list, or one object)

    def usage(self) -> dict[str, int]:
        """What a sync run records of its conversation with Connecteam."""
        return {"calls": self.calls, "pages": self.pages}

    async def __aenter__(self) -> ConnecteamClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def users(self, *, modified_since: int | None = None) -> list[User]:
        """Every user (archived ones too), or those changed since an epoch second."""
        params = {"modifiedAt": modified_since} if modified_since is not None else {}
        found: list[User] = []
        async for page in self._pages("/users/v1/users", params, "users"):
            found += [User.model_validate(item) for item in page]
        return found

    async def time_clocks(self) -> list[TimeClock]:
        data = await self.get("/time-clock/v1/time-clocks")
        return [TimeClock.model_validate(item) for item in data["timeClocks"]]

    async def time_activities(
        self, time_clock_id: int, start: date, end: date
    ) -> list[UserTimeActivity]:
        """Shifts and manual breaks per user from ``start`` to ``end`` (both included, at
        most 31 days: a longer range is the caller's to split)."""
        if end < start or end - start >= MAX_RANGE:
            raise ValueError(f"a range of 1 to 31 days, not {start} to {end}")
        data = await self.get(
            f"/time-clock/v1/time-clocks/{time_clock_id}/time-activities",
            {"startDate": start.isoformat(), "endDate": end.isoformat()},
        )
        return [UserTimeActivity.model_validate(item) for item in data["timeActivitiesByUsers"]]

    async def schedulers(self) -> list[Scheduler]:
        data = await self.get("/scheduler/v1/schedulers")
        return [Scheduler.model_validate(item) for item in data["schedulers"]]

    async def scheduled_shifts(
        self, scheduler_id: int, start: int, end: int
    ) -> list[ScheduledShift]:
        """A scheduler's shifts from ``start`` to ``end`` (epoch seconds), every page."""
        found: list[ScheduledShift] = []
        path = f"/scheduler/v1/schedulers/{scheduler_id}/shifts"
        async for page in self._pages(path, {"startTime": start, "endTime": end}, "shifts"):
            found += [ScheduledShift.model_validate(item) for item in page]
        return found

    async def every_time_activity(self, first: date, last: date) -> list[UserTimeActivity]:
        """Every active time clock's activities from ``first`` to ``last`` (work dates, both
        included), in requests of at most 31 days."""
        found: list[UserTimeActivity] = []
        for clock in await self.time_clocks():
            if not clock.is_archived:
                for start, end in day_chunks(first, last):
                    found += await self.time_activities(clock.id, start, end)
        return found

    async def every_scheduled_shift(
        self, window: tuple[datetime, datetime]
    ) -> list[ScheduledShift]:
        """Every active scheduler's shifts that start in ``window``."""
        found: list[ScheduledShift] = []
        for scheduler in await self.schedulers():
            if not scheduler.is_archived:
                start, end = (int(t.timestamp()) for t in window)
                found += await self.scheduled_shifts(scheduler.scheduler_id, start, end)
        return found

    async def _pages(
        self, path: str, params: dict[str, Any], key: str
    ) -> AsyncIterator[list[dict[str, Any]]]:
        offset = 0
        while True:
            data = await self.get(path, {**params, "limit": PAGE_SIZE, "offset": offset})
            items: list[dict[str, Any]] = data[key]
            yield items
            if len(items) < PAGE_SIZE:
                return
            offset += len(items)

    async def put_performance(self, user_id: int, day: date, values: dict[int, float]) -> int:
        """A user's KPIs of a day (indicator id → value); PUT replaces them, so sending the
        same again is harmless (and retried like a GET). Records affected."""
        data = await self.send(
            "PUT",
            f"/users/v1/users/{user_id}/performance/{day.isoformat()}",
            body={"items": [{"indicatorId": i, "value": v} for i, v in sorted(values.items())]},
        )
        return int(data.get("recordsAffected", 0))

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a GET, retried as the module says."""
        return await self.send("GET", path, params=params)

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``data`` of an idempotent request, retried as the module says."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, params or {}, body)
        except _Retryable as gave_up:
            raise ConnecteamError(
                f"Connecteam {path}: gave up after {self.policy.attempts} attempts ({gave_up})"
            ) from None
        raise AssertionError("unreachable")

    async def _once(
        self, method: str, path: str, params: dict[str, Any], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        self.calls += 1
        try:
            response = await self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            raise _Retryable(type(exc).__name__) from None
        if response.status_code == 429:
            raise _Retryable("rate limited (429)", self._rate_limit_wait(response.headers))
        if response.status_code >= 500:
            raise _Retryable(f"server error {response.status_code}")
        if response.status_code >= 400:
            raise ConnecteamError(
                f"Connecteam {path} answered {response.status_code}: {_message(response)}",
                status=response.status_code,
            )
        self.pages += 1
        answer: dict[str, Any] = response.json()
        data: dict[str, Any] = answer["data"]
        return data

    def _rate_limit_wait(self, headers: httpx.Headers) -> float | None:
        """Seconds until the limit resets, from ``x-ratelimit-reset`` (seconds, or an epoch
        second when it is that large); None when Connecteam does not say."""
        raw = headers.get("x-ratelimit-reset")
        try:
            reset = float(raw) if raw is not None else None
        except ValueError:
            return None
        if reset is None:
            return None
        return max(0.0, reset - self._clock()) if reset > 1_000_000_000 else max(0.0, reset)

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        told = failure.wait_seconds if isinstance(failure, _Retryable) else None
        base = (
            told
            if told is not None
            else self.policy.backoff_seconds * 2 ** (state.attempt_number - 1)
        )
        return min(self.policy.max_wait_seconds, base * (1 + random.uniform(0, 0.1)))


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for name in ("detail", "message", "error"):
            if isinstance(body.get(name), str):
                return str(body[name])[:200]
    return str(body)[:200]
