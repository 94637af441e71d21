"""Connecteam in the cluster: ``tests.helpers_connecteam.FakeConnecteam`` as a process of its
own on a loopback port, which the prodhub processes are pointed at (``PRODHUB_CONNECTEAM_*``),
so that the schedulers' 5-minute syncs run against it.

    python -m bench.cluster.connecteam --data connecteam.json --port PORT

It holds what ``prepare`` wrote once the demo was seeded: a user per demo employee (same
name and email, so the users sync maps them; an inactive employee's user is archived) and
the day's demo clock records as shifts and breaks, each punch in its team's zone. Those
records are given the fake's shift ids in the database, so a sync finds them as they are
and changes nothing until Connecteam does.

Its control surface, under ``/control`` on the same port (answered to loopback clients
only, and never down): ``POST /control/down`` (every other request answered 503, as a
Connecteam in maintenance), ``POST /control/up``, ``POST /control/activities`` (a user's
shifts and manual breaks added, ``{"userId", "shifts", "manualBreaks"}``) and
``GET /control/state`` (down or not, requests served and refused)."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pymysql
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from bench.old_app import connect_params
from tests.helpers_connecteam import API_KEY, FakeConnecteam

USER_BASE = 100_000  # a demo employee's Connecteam user id: this + the employee's id
TIME_CLOCK = 1  # the one time clock
SHIFT_PREFIX = "seed-"  # a demo clock record's shift id: this + the record's id
ENV = {"PRODHUB_CONNECTEAM_API_KEY": API_KEY}


def user_id(employee_id: int) -> int:
    return USER_BASE + employee_id


def prepare(database_url: str, path: Path, day: date, company_zone: str) -> int:
    """Write to ``path`` what the fake holds (the demo's people, ``day``'s clock records and
    breaks), and give those records their shift ids; how many shifts."""
    connection = pymysql.connect(**connect_params(database_url), autocommit=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.id, e.name, e.email, e.active, t.timezone FROM employees e"
                " LEFT JOIN teams t ON t.id = e.team_id ORDER BY e.id"
            )
            people = cursor.fetchall()
            zone = {p[0]: p[4] or company_zone for p in people}
            cursor.execute(
                "SELECT id, employee_id, clock_in, clock_out FROM clock_records"
                " WHERE work_date = %s AND external_id IS NULL AND voided_at IS NULL", (day,)
            )  # fmt: skip
            records = cursor.fetchall()
            owner = {r[0]: r[1] for r in records}
            cursor.execute(
                "SELECT b.id, b.clock_record_id, b.start, b.end FROM clock_breaks b"
                " JOIN clock_records r ON r.id = b.clock_record_id WHERE r.work_date = %s"
                " AND r.external_id IS NULL AND r.voided_at IS NULL", (day,)
            )  # fmt: skip
            pauses = cursor.fetchall()
            cursor.executemany(
                "UPDATE clock_records SET external_id = %s WHERE id = %s",
                [(f"{SHIFT_PREFIX}{r[0]}", r[0]) for r in records],
            )
        connection.commit()
    finally:
        connection.close()
    held: dict[int, dict[str, list[Any]]] = defaultdict(lambda: {"shifts": [], "breaks": []})
    for record_id, employee, start, end in records:
        held[employee]["shifts"].append(
            span(f"{SHIFT_PREFIX}{record_id}", start, end, zone[employee])
        )
    for break_id, record_id, start, end in pauses:
        employee = owner[record_id]
        held[employee]["breaks"].append(
            span(f"b{break_id}", start, end, zone[employee]) | {"manualBreakId": "lunch"}
        )
    users = [
        {"userId": user_id(p[0]), "firstName": p[1].split(" ")[0],
         "lastName": " ".join(p[1].split(" ")[1:]), "email": p[2], "isArchived": not p[3],
         "modifiedAt": 1_700_000_000}
        for p in people
    ]  # fmt: skip
    activities = [
        {"userId": user_id(e), "shifts": got["shifts"], "manualBreaks": got["breaks"]}
        for e, got in sorted(held.items())
    ]
    path.write_text(json.dumps({"users": users, "activities": activities}))
    return len(records)


def span(shift_id: str, start: datetime, end: datetime | None, zone: str) -> dict[str, Any]:
    """A shift (or, with ``manualBreakId``, a break) as Connecteam sends it: epoch seconds
    and the punch's zone; ``start`` and ``end`` naive UTC (as MariaDB keeps them) or aware."""

    def punch(at: datetime) -> dict[str, Any]:
        aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return {"timestamp": int(aware.timestamp()), "timezone": zone}

    return {"id": shift_id, "start": punch(start)} | ({"end": punch(end)} if end else {})


class Served:
    """The fake behind a switch: while down, everything but ``/control`` answers 503."""

    def __init__(self, fake: FakeConnecteam) -> None:
        self.fake, self.down, self.refused = fake, False, 0
        control = [
            Route("/down", self._down, methods=["POST"]),
            Route("/up", self._up, methods=["POST"]),
            Route("/activities", self._activities, methods=["POST"]),
            Route("/state", self._state),
        ]
        self.app = Starlette(routes=[Mount("/control", routes=control), *fake.app().routes])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        control = scope["path"].startswith("/control/")
        if control and (scope.get("client") or ("",))[0] != "127.0.0.1":
            answer: Response = JSONResponse({"detail": "loopback only"}, status_code=403)
        elif self.down and not control:
            self.refused += 1
            answer = JSONResponse({"detail": "Service Unavailable"}, status_code=503)
        else:
            return await self.app(scope, receive, send)
        await answer(scope, receive, send)

    async def _down(self, _: Request) -> JSONResponse:
        self.down = True
        return await self._state(_)

    async def _up(self, _: Request) -> JSONResponse:
        self.down = False
        return await self._state(_)

    async def _activities(self, request: Request) -> JSONResponse:
        added = await request.json()
        users = self.fake.activities.setdefault(TIME_CLOCK, [])
        held = next((u for u in users if u["userId"] == added["userId"]), None)
        if held is None:
            held = {"userId": added["userId"], "shifts": [], "manualBreaks": []}
            users.append(held)
        held["shifts"] += added.get("shifts", [])
        held["manualBreaks"] += added.get("manualBreaks", [])
        return await self._state(request)

    async def _state(self, _: Request) -> JSONResponse:
        return JSONResponse(
            {"down": self.down, "served": len(self.fake.requests), "refused": self.refused}
        )


def load(path: Path) -> FakeConnecteam:
    held = json.loads(path.read_text())
    return FakeConnecteam(
        users=held["users"],
        time_clocks=[{"id": TIME_CLOCK, "name": "Warehouse", "isArchived": False}],
        activities={TIME_CLOCK: held["activities"]},
    )


class Control:
    """The fake's control surface, for a test or a benchmark (``url``: the fake's)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _post(self, what: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/control/{what}", json=body or {}, timeout=10)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def down(self) -> dict[str, Any]:
        return self._post("down")

    def up(self) -> dict[str, Any]:
        return self._post("up")

    def add(self, user: int, shifts: list[dict[str, Any]], breaks: list[dict[str, Any]]) -> None:
        self._post("activities", {"userId": user, "shifts": shifts, "manualBreaks": breaks})

    def state(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/control/state", timeout=10)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster.connecteam")
    parser.add_argument("--data", type=Path, required=True, help="what prepare() wrote")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    served = Served(load(options.data))
    uvicorn.run(served, host="127.0.0.1", port=options.port, log_level="warning",
                lifespan="off")  # fmt: skip


if __name__ == "__main__":
    main()
