"""The soak's mixed traffic through nginx, one thread per client, every answer checked:
dashboard reads with a token (the same employees and teams each time), leaderboard pages
(the first, then the next by its cursor), a device's ``recordActivities`` at a steady rate
of items per second (each batch stored: accepted plus duplicates is the batch), sign-ins
(each demo sign-in in turn), and now and then an admin's ``recalculateScores`` of today
(the company's: in its timezone, a recalculation of a day not begun there is refused).

The scans are shaped like a floor's: every demo employee scans in their own default role,
one activity every ``ACTIVITY_SECONDS`` covering the seconds since their last one (no two of
an employee's windows overlap), the items shared out so that the whole floor scans the rate
asked for. A day grows by what the floor really adds, not by overlapping copies that each
raise a flag (an earlier shape: every scan one activity over the same 20 s for ten
employees, which grew today to 180,000 overlapping activities and as many flags in 30 min).

Every request is one ``Answer`` (kind, start, seconds, outcome); the sampler reads them
by position, so the list only grows."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.cluster.traffic import TIMEOUT, Answer, dashboard_rows
from bench.faults.load import DASHBOARD, INGEST, LOGIN, PASSWORD, USERS, sign_in

LEADERBOARD = """query($after: String) { leaderboard(first: 20, after: $after) {
  totalCount edges { node { rank pointsEarned itemsProcessed } }
  pageInfo { hasNextPage endCursor } } }"""
RECALCULATE = """mutation($d: Date!) { recalculateScores(from: $d, to: $d) {
  enqueued errors { code } } }"""
BATCH_SECONDS = 0.5  # a device posts its scans twice a second
ACTIVITY_SECONDS = 10  # each employee's activities: one window every 10 s
CYCLE = round(ACTIVITY_SECONDS / BATCH_SECONDS)  # batches in one round of the floor
LAG = timedelta(seconds=30)  # a window ends this long before it is posted
FLOOR = "{ employees(first: 100) { edges { node { code defaultRole { key } } } } }"
RECALCULATE_SECONDS = 60.0


class Refused(Exception):
    """An answer that is not the one expected: its outcome."""


@dataclass
class SoakTraffic:
    url: str  # nginx's
    api_key: str  # a device's (INGEST)
    zone: str  # the company's timezone: ``recalculateScores`` takes its days, none after today
    items_per_second: int = 100
    answers: list[Answer] = field(default_factory=list)
    items_stored: int = 0
    _token: str = ""
    _expected: list[tuple[str, str | None]] = field(default_factory=list)
    _floor: list[tuple[str, str]] = field(default_factory=list)  # (code, role), who scans
    _began: datetime = field(default_factory=lambda: datetime.now(UTC))
    _prefix: str = field(default_factory=lambda: f"soak-{int(time.time())}")
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> SoakTraffic:
        self._token = sign_in(self.url, USERS[0])  # the admin: recalculateScores is theirs
        headers = {"Authorization": f"Bearer {self._token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT) as http:
            self._expected = dashboard_rows(http.post("/graphql", json={"query": DASHBOARD}).json())
            employees = http.post("/graphql", json={"query": FLOOR}).json()["data"]
        nodes = [edge["node"] for edge in employees["employees"]["edges"]]
        self._floor = [(n["code"], n["defaultRole"]["key"]) for n in nodes if n["defaultRole"]]
        self._began = datetime.now(UTC).replace(microsecond=0) - LAG
        loops: list[tuple[str, float, Callable[[httpx.Client, int], None]]] = [
            ("dashboard", 0.2, self._dashboard),
            ("dashboard", 0.2, self._dashboard),
            ("leaderboard", 0.5, self._leaderboard),
            ("ingest", BATCH_SECONDS, self._scans),
            ("sign-in", 1.0, self._sign_in),
            ("recalculate", RECALCULATE_SECONDS, self._recalculate),
        ]
        self._threads = [
            threading.Thread(target=self._loop, args=loop, daemon=True) for loop in loops
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT + 5)

    def _loop(self, kind: str, every: float, ask: Callable[[httpx.Client, int], None]) -> None:
        """``ask`` every ``every`` seconds, on a schedule (a slow answer does not lower the
        rate until it is longer than the period)."""
        with httpx.Client(base_url=self.url, timeout=TIMEOUT) as http:
            due = time.monotonic()
            for n in itertools.count():
                if self._stop.is_set():
                    return
                start = time.monotonic()
                try:
                    ask(http, n)
                    outcome = "ok"
                except Refused as exc:
                    outcome = str(exc)
                except httpx.HTTPError as exc:
                    outcome = f"{type(exc).__name__}: {exc}"
                except (KeyError, TypeError, ValueError) as exc:  # an answer of another shape
                    outcome = f"unexpected answer: {exc!r}"
                self.answers.append(Answer(kind, start, time.monotonic() - start, outcome))
                due = max(due + every, time.monotonic())
                self._stop.wait(due - time.monotonic())

    def _dashboard(self, http: httpx.Client, _: int) -> None:
        rows = dashboard_rows(_post(http, DASHBOARD, {}, self._token))
        if rows != self._expected:
            raise Refused(f"other rows: {rows[:2]}")

    def _leaderboard(self, http: httpx.Client, n: int) -> None:
        first = _post(http, LEADERBOARD, {"after": None}, self._token)["data"]["leaderboard"]
        # empty until the day's first scores are refreshed: an answer like any other
        if len(first["edges"]) > first["totalCount"]:
            raise Refused(f"{len(first['edges'])} entries of {first['totalCount']}")
        if n % 2 and first["pageInfo"]["hasNextPage"]:  # every other turn, the next page too
            after = {"after": first["pageInfo"]["endCursor"]}
            _post(http, LEADERBOARD, after, self._token)

    def _scans(self, http: httpx.Client, n: int) -> None:
        """Batch ``n``: the activities of the employees whose turn it is (every ``CYCLE``-th
        of the floor), each over its ``ACTIVITY_SECONDS`` window of round ``n // CYCLE``."""
        turn = self._turn(n)
        batch = [
            {"employeeCode": code, "roleKey": role, "itemsCount": items,
             "windowStart": start.isoformat(), "windowEnd": end.isoformat(),
             "externalRef": f"{self._prefix}-{n}-{i}"}
            for i, (code, role, items, start, end) in enumerate(turn)
        ]  # fmt: skip
        if not batch:
            return
        recorded = _post(http, INGEST, {"items": batch}, self.api_key)["data"]["recordActivities"]
        if recorded["errors"] or recorded["accepted"] + recorded["duplicates"] != len(batch):
            raise Refused(f"not stored: {recorded}")
        self.items_stored += sum(items for _, _, items, _, _ in turn)

    def _turn(self, n: int) -> list[tuple[str, str, int, datetime, datetime]]:
        """Who scans in batch ``n``, how many items, over which window: a round's items
        (the rate times ``ACTIVITY_SECONDS``) shared out evenly over the floor."""
        rounds, slot = divmod(n, CYCLE)
        start = self._began + timedelta(seconds=rounds * ACTIVITY_SECONDS)
        end = start + timedelta(seconds=ACTIVITY_SECONDS)
        share, extra = divmod(self.items_per_second * ACTIVITY_SECONDS, len(self._floor))
        return [
            (code, role, share + (i < extra), start, end)
            for i, (code, role) in enumerate(self._floor)
            if i % CYCLE == slot and share + (i < extra) > 0
        ]

    def _sign_in(self, http: httpx.Client, n: int) -> None:
        variables = {"e": USERS[n % len(USERS)], "p": PASSWORD}
        login = _post(http, LOGIN, variables, None)["data"]["login"]
        if login["errors"] or not login["token"]:
            raise Refused(f"refused: {login}")

    def _recalculate(self, http: httpx.Client, _: int) -> None:
        today = datetime.now(ZoneInfo(self.zone)).date().isoformat()
        job = _post(http, RECALCULATE, {"d": today}, self._token)["data"]["recalculateScores"]
        if job["errors"] or job["enqueued"] < 1:
            raise Refused(f"not enqueued: {job}")


def _post(
    http: httpx.Client, query: str, variables: dict[str, Any], credentials: str | None
) -> dict[str, Any]:
    """The answer's JSON; ``Refused`` for a status other than 200 or a top-level error."""
    headers = {"Authorization": f"Bearer {credentials}"} if credentials else {}
    response = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    if response.status_code != 200:
        raise Refused(f"HTTP {response.status_code}: {response.text[:120]}")
    answer: dict[str, Any] = response.json()
    if answer.get("errors"):
        raise Refused(f"errors: {[e.get('extensions', {}).get('code') for e in answer['errors']]}")
    return answer
