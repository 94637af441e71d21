"""What the cluster's fault tests ask of it besides traffic: an admin's GraphQL through nginx
(syncs asked for and their runs, an employee's score, the leaderboard), a web process's
``/metrics``, and SQL on the primary."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.cluster import faults
from bench.cluster.topology import State
from bench.faults.load import USERS, sign_in

TRIGGER = """mutation($kind: SyncKind!) {
  triggerSync(kind: $kind) { tick errors { code message } } }"""
RUNS = """query($kind: SyncKind!) { syncRuns(kind: $kind, first: 50) { edges { node {
  key status attempts counts error startedAt finishedAt } } } }"""
SCORES = """query($code: String!, $day: Date) { employees(search: $code, first: 5) { edges {
  node { code score(date: $day) { clockedMinutes breakMinutes itemsProcessed } } } } }"""
LEADERBOARD = """query($day: Date!) { leaderboard(from: $day, to: $day, metric: ITEMS,
  first: 100) { edges { node { itemsProcessed employee { code } } } } }"""


class Admin:
    """The demo's admin, signed in through nginx."""

    def __init__(self, state: State) -> None:
        self.http = httpx.Client(
            base_url=state.url, timeout=20,
            headers={"Authorization": f"Bearer {sign_in(state.url, USERS[0])}"},
        )  # fmt: skip

    def close(self) -> None:
        self.http.close()

    def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def trigger(self, kind: str, seconds: float = 120) -> str:
        """Ask for a sync of ``kind`` (again while one of the kind runs: the scheduler's own,
        or the queue's retry of an earlier one); its tick."""
        deadline = time.monotonic() + seconds
        while True:
            done = self.ask(TRIGGER, kind=kind)["triggerSync"]
            if not done["errors"]:
                return str(done["tick"])
            assert [e["code"] for e in done["errors"]] == ["CONFLICT"], done
            assert time.monotonic() < deadline, done
            time.sleep(0.5)

    def runs(self, kind: str) -> list[dict[str, Any]]:
        """The newest 50 runs of ``kind``, newest first."""
        return [e["node"] for e in self.ask(RUNS, kind=kind)["syncRuns"]["edges"]]

    def run(
        self, kind: str, key: str, until: Callable[[dict[str, Any]], bool], seconds: float = 120
    ) -> dict[str, Any]:
        """The run of ``kind`` asked for at the tick ``key`` (a time-clock sync's first
        chunk: its key adds the chunk's first date) once ``until`` holds for it."""
        deadline = time.monotonic() + seconds
        while True:
            found = next((r for r in self.runs(kind) if r["key"].split("/")[0] == key), None)
            if found is not None and until(found):
                return found
            assert time.monotonic() < deadline, f"run {key}: {found}"
            time.sleep(0.3)

    def score(self, code: str, day: str | None = None) -> dict[str, Any] | None:
        edges = self.ask(SCORES, code=code, day=day)["employees"]["edges"]
        [node] = [e["node"] for e in edges if e["node"]["code"] == code]
        found: dict[str, Any] | None = node["score"]
        return found

    def leaderboard_items(self, day: str) -> dict[str, int]:
        """Items per employee code on the day's ITEMS board."""
        edges = self.ask(LEADERBOARD, day=day)["leaderboard"]["edges"]
        return {e["node"]["employee"]["code"]: e["node"]["itemsProcessed"] for e in edges
                if e["node"]["employee"] is not None}  # fmt: skip


def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """``check()``'s first truthy answer within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.2)


def metric(state: State, web: str, name: str) -> float:
    """A sample of ``name`` (with no labels) on the web process ``web``'s ``/metrics``."""
    text = httpx.get(f"http://127.0.0.1:{state.member(web).port}/metrics", timeout=10).text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{name} not in /metrics of {web}"
    return float(found.group(1))


def rows(state: State, query: str) -> list[list[str]]:
    """A query's rows on the primary, its cells as text."""
    answer = faults.server(state, "mariadb-primary").sql(f"USE prodhub; {query};")
    return [line.split("\t") for line in answer.splitlines()]


def zone_where_it_is(hour: int, now: datetime | None = None) -> str:
    """A fixed-offset timezone in which it is now between ``hour`` and the next: a test
    cluster's company time, chosen away from the day's finalization at 18:00 (which makes
    today's scores final: a later scan no longer changes them) and from midnight."""
    offset = (hour - (now or datetime.now(UTC)).hour + 11) % 24 - 11  # ahead of UTC, -11..12
    # Etc/GMT's signs are POSIX's: Etc/GMT-5 is five hours ahead of UTC
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")
