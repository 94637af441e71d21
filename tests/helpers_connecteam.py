"""A fake Connecteam on loopback, following ``shared/connecteam/openapi.json`` for the endpoints
the sync reads: the ``X-API-KEY`` check, ``{requestId, data, paging}`` answers, ``limit`` (at
most 500) and ``offset``, 31-day ranges of time activities (a shift or break is in a range
when it started on one of its dates, in its own zone). Faults are planned per request: a
429 with ``x-ratelimit-*`` headers and no ``Retry-After``, a 5xx, a slow answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from dramatiq.brokers.stub import StubBroker
from pydantic import SecretStr
from sqlalchemy import delete
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tasks.registry import Actors
from tests.helpers import Backend, running_worker

API_KEY = "fake-connecteam-key-0123456789"


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


@dataclass
class FakeConnecteam:
    users: list[dict[str, Any]] = field(default_factory=list)
    time_clocks: list[dict[str, Any]] = field(default_factory=list)
    # time clock id -> user time activities (the payload's ``timeActivitiesByUsers``)
    activities: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    schedulers: list[dict[str, Any]] = field(default_factory=list)
    # scheduler id -> its shifts (``startTime``/``endTime`` epoch seconds)
    scheduled: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # (user id, date) -> {indicator id: value}, as PUT performance left it
    performance: dict[tuple[int, str], dict[int, float]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)  # taken one per request, in order
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/users/v1/users", self._users),
                Route("/time-clock/v1/time-clocks", self._time_clocks),
                Route("/time-clock/v1/time-clocks/{clock:int}/time-activities", self._activities),
                Route("/scheduler/v1/schedulers", self._schedulers),
                Route(
                    "/users/v1/users/{user:int}/performance/{day}",
                    self._performance,
                    methods=["PUT"],
                ),
                Route("/scheduler/v1/schedulers/{scheduler:int}/shifts", self._shifts),
            ]
        )

    async def _answer(self, request: Request, data: dict[str, Any], **extra: Any) -> JSONResponse:
        self.requests.append((request.url.path, dict(request.query_params)))
        if request.headers.get("x-api-key") != API_KEY:
            return JSONResponse({"detail": "Invalid API key"}, status_code=401)
        if self.faults:
            fault = self.faults.pop(0)
            await asyncio.sleep(fault.delay_seconds)
            if fault.status != 200:
                return JSONResponse(
                    {"detail": "planned fault"}, status_code=fault.status, headers=fault.headers
                )
        return JSONResponse({"requestId": str(uuid.uuid4()), "data": data, **extra})

    async def _users(self, request: Request) -> JSONResponse:
        limit = min(int(request.query_params.get("limit", 10)), 500)
        offset = int(request.query_params.get("offset", 0))
        since = request.query_params.get("modifiedAt")
        chosen = [u for u in self.users if since is None or u.get("modifiedAt", 0) >= int(since)]
        page = chosen[offset : offset + limit]
        paging = {"offset": offset + len(page), "total": len(chosen)}
        return await self._answer(request, {"users": page}, paging=paging)

    async def _performance(self, request: Request) -> JSONResponse:
        """Replaces the user's values of the day (``PerformanceDataRequest``); a user this
        fake does not know is a 404, as Connecteam answers."""
        user, day = int(request.path_params["user"]), request.path_params["day"]
        if self.users and user not in {u["userId"] for u in self.users}:
            self.requests.append((request.url.path, dict(request.query_params)))
            return JSONResponse({"detail": "User not found"}, status_code=404)
        items = (await request.json())["items"]
        answer = await self._answer(request, {"recordsAffected": len(items)})
        if answer.status_code == 200:
            self.performance[(user, date.fromisoformat(day).isoformat())] = {
                item["indicatorId"]: item["value"] for item in items
            }
        return answer

    async def _schedulers(self, request: Request) -> JSONResponse:
        return await self._answer(request, {"schedulers": self.schedulers})

    async def _shifts(self, request: Request) -> JSONResponse:
        """Shifts starting from ``startTime`` up to ``endTime``, paged like the users."""
        start, end = int(request.query_params["startTime"]), int(request.query_params["endTime"])
        limit = min(int(request.query_params.get("limit", 10)), 500)
        offset = int(request.query_params.get("offset", 0))
        chosen = [s for s in self.scheduled.get(int(request.path_params["scheduler"]), [])
                  if start <= s["startTime"] < end]  # fmt: skip
        page = chosen[offset : offset + limit]
        return await self._answer(request, {"shifts": page}, paging={"offset": offset + len(page)})

    async def _time_clocks(self, request: Request) -> JSONResponse:
        return await self._answer(request, {"timeClocks": self.time_clocks})

    async def _activities(self, request: Request) -> JSONResponse:
        start = date.fromisoformat(request.query_params["startDate"])
        end = date.fromisoformat(request.query_params["endDate"])
        if (end - start).days > 30:
            return JSONResponse({"detail": "date range is limited to 31 days"}, status_code=400)
        clock = int(request.path_params["clock"])
        within = [
            {"userId": user["userId"],
             **{kind: [a for a in user[kind] if start <= _local_date(a["start"]) <= end]
                for kind in ("shifts", "manualBreaks")}}
            for user in self.activities.get(clock, [])
        ]  # fmt: skip
        return await self._answer(request, {"timeActivitiesByUsers": within})


def _local_date(point: dict[str, Any]) -> date:
    """A punch's date where it was made: what a range of time activities filters on."""
    return datetime.fromtimestamp(point["timestamp"], ZoneInfo(point["timezone"])).date()


@asynccontextmanager
async def serving(fake: FakeConnecteam) -> AsyncIterator[str]:
    """``fake`` served on a free loopback port for the block; its base URL."""
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def user(n: int, **fields: Any) -> dict[str, Any]:
    return {"userId": n, "firstName": f"First{n}", "lastName": f"Last{n}", "phoneNumber": "",
            "userType": "user", "email": f"user{n}@example.com", "isArchived": False,
            "modifiedAt": 1_700_000_000 + n} | fields  # fmt: skip


def punch(instant: datetime, zone: str = "America/Chicago") -> dict[str, Any]:
    """A time point as Connecteam sends it: epoch seconds and the punch's own zone."""
    return {"timestamp": int(instant.timestamp()), "timezone": zone}


def shift(
    shift_id: str, start: datetime, end: datetime | None, zone: str = "America/Chicago"
) -> dict[str, Any]:
    made: dict[str, Any] = {"id": shift_id, "start": punch(start, zone)}
    return made | ({"end": punch(end, zone)} if end is not None else {})


def pause(
    break_id: str, start: datetime, end: datetime | None, zone: str = "America/Chicago"
) -> dict[str, Any]:
    return shift(break_id, start, end, zone) | {"manualBreakId": "lunch"}


@asynccontextmanager
async def syncing(
    backend: Backend, fake: FakeConnecteam, written: Sequence[type[Any]], **settings: Any
) -> AsyncIterator[tuple[StubBroker, Actors]]:
    """Every actor on an in-process worker whose Connecteam is ``fake`` (with ``settings``
    besides); what it wrote to the ``written`` tables is deleted afterwards (the worker has a
    database of its own, which the test's cleanup does not watch)."""
    async with serving(fake) as url:
        configured = backend.settings.model_copy(
            update={"redis_url": None, "connecteam_api_key": SecretStr(API_KEY),
                    "connecteam_base_url": url, **settings}
        )  # fmt: skip
        async with running_worker(configured) as running:
            yield running
    async with backend.db.session() as session, session.begin():
        for model in written:
            await session.execute(delete(model))


async def run(broker: StubBroker, send: Any, *, fail_fast: bool = True) -> None:
    """Send (``send()``) and wait until the Connecteam queue is empty."""
    send()
    await asyncio.to_thread(lambda: broker.join("connecteam", fail_fast=fail_fast))
