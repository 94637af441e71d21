"""The soak's mixed traffic through nginx, one thread per client, every answer checked:
dashboard reads with a token (the same employees and teams each time), leaderboard pages
(the first, then the next by its cursor), a device's ``recordActivities`` at a steady rate
of scans per second (each batch stored: accepted plus duplicates is the batch), sign-ins
(each demo sign-in in turn), and now and then an admin's ``recalculateScores`` of today.

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

import httpx

from bench.cluster.traffic import EMPLOYEES, TIMEOUT, Answer, dashboard_rows
from bench.faults.load import DASHBOARD, INGEST, LOGIN, PASSWORD, USERS, sign_in

LEADERBOARD = """query($after: String) { leaderboard(first: 20, after: $after) {
  totalCount edges { node { rank pointsEarned itemsProcessed } }
  pageInfo { hasNextPage endCursor } } }"""
RECALCULATE = """mutation($d: Date!) { recalculateScores(from: $d, to: $d) {
  enqueued errors { code } } }"""
BATCH_SECONDS = 0.5  # a device posts its scans twice a second
RECALCULATE_SECONDS = 60.0


class Refused(Exception):
    """An answer that is not the one expected: its outcome."""


@dataclass
class SoakTraffic:
    url: str  # nginx's
    api_key: str  # a device's (INGEST)
    scans_per_second: int = 100
    answers: list[Answer] = field(default_factory=list)
    scans_stored: int = 0
    _token: str = ""
    _expected: list[tuple[str, str | None]] = field(default_factory=list)
    _codes: list[str] = field(default_factory=list)
    _role: str = ""
    _prefix: str = field(default_factory=lambda: f"soak-{int(time.time())}")
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> SoakTraffic:
        self._token = sign_in(self.url, USERS[0])  # the admin: recalculateScores is theirs
        headers = {"Authorization": f"Bearer {self._token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT) as http:
            self._expected = dashboard_rows(http.post("/graphql", json={"query": DASHBOARD}).json())
            employees = http.post("/graphql", json={"query": EMPLOYEES}).json()["data"]
        nodes = [edge["node"] for edge in employees["employees"]["edges"]]
        self._codes = [n["code"] for n in nodes]
        self._role = next(n["defaultRole"]["key"] for n in nodes if n["defaultRole"])
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
        size = max(1, round(self.scans_per_second * BATCH_SECONDS))
        end = datetime.now(UTC) - timedelta(seconds=30)
        start = end - timedelta(seconds=20)
        batch = [
            {"employeeCode": self._codes[(n * size + i) % len(self._codes)],
             "roleKey": self._role, "itemsCount": 1 + i % 5,
             "windowStart": start.isoformat(), "windowEnd": end.isoformat(),
             "externalRef": f"{self._prefix}-{n}-{i}"}
            for i in range(size)
        ]  # fmt: skip
        recorded = _post(http, INGEST, {"items": batch}, self.api_key)["data"]["recordActivities"]
        if recorded["errors"] or recorded["accepted"] + recorded["duplicates"] != size:
            raise Refused(f"not stored: {recorded}")
        self.scans_stored += size

    def _sign_in(self, http: httpx.Client, n: int) -> None:
        variables = {"e": USERS[n % len(USERS)], "p": PASSWORD}
        login = _post(http, LOGIN, variables, None)["data"]["login"]
        if login["errors"] or not login["token"]:
            raise Refused(f"refused: {login}")

    def _recalculate(self, http: httpx.Client, _: int) -> None:
        today = datetime.now(UTC).date().isoformat()
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
