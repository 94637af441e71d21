"""What the rows say after a fault, read straight from MariaDB and Redis (not through the
proxies): every scan a device was told was stored is there once; the scores of the days the
scans touched equal a clean recalculation; what the worker's delayed queue still holds."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import httpx

from bench.faults.load import TIMEOUT, Scanner
from bench.faults.shape import Shape

RECALCULATE = """mutation($f: Date!, $t: Date!) {
  recalculateScores(from: $f, to: $t) { enqueued tick errors { code message } } }"""
LEADERBOARD = """query($d: Date!) { leaderboard(from: $d, to: $d, first: 50) {
  totalCount edges { node { rank displayName itemsProcessed pointsEarned } } } }"""


def scans(shape: Shape, scanner: Scanner) -> dict[str, Any]:
    rows = shape.sql(
        "SELECT external_ref, COUNT(*) FROM activities WHERE external_ref LIKE %s"
        " GROUP BY external_ref",
        f"{scanner.prefix}-%",
    )
    stored = {ref: n for ref, n in rows}
    pending = {item["externalRef"] for item in scanner.pending}
    return {
        "acknowledged": len(scanner.acked),
        "missing": len(scanner.acked - stored.keys()),
        "doubled": sum(1 for n in stored.values() if n > 1),
        "stored_unacknowledged": len(stored.keys() - scanner.acked - pending),
        "pending_at_end": len(pending),
        "stored_though_answered_failure": scanner.resent_stored,
    }


def scan_days(shape: Shape, scanner: Scanner) -> list[date]:
    rows = shape.sql(
        "SELECT DISTINCT work_date FROM activities WHERE external_ref LIKE %s",
        f"{scanner.prefix}-%",
    )
    return sorted(r[0] for r in rows)


def scores(shape: Shape, days: list[date]) -> dict[tuple[int, str], tuple[int, float]]:
    """Items and points of every employee-day (what scans change; the minutes of an open
    shift change with the clock, so they are left out)."""
    if not days:
        return {}
    marks = ",".join(["%s"] * len(days))
    rows = shape.sql(
        "SELECT employee_id, work_date, items_processed, points_earned FROM daily_scores"
        f" WHERE work_date IN ({marks})",
        *days,
    )
    return {(e, str(d)): (int(i), round(float(p), 3)) for e, d, i, p in rows}


def graphql(url: str, token: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def recalculate(url: str, token: str, first: date, last: date) -> str:
    """Ask for a recalculation of ``first``..``last``; its tick."""
    answer = graphql(url, token, RECALCULATE, {"f": str(first), "t": str(last)}).json()
    payload = answer["data"]["recalculateScores"]
    if payload["errors"]:
        raise RuntimeError(f"recalculateScores refused: {payload['errors']}")
    return str(payload["tick"])


def runs(shape: Shape, tick: str) -> list[tuple[str, str, Any]]:
    """The ``refresh_scores`` runs of a tick: (tick with date, status, finished_at UTC)."""
    rows = shape.sql(
        "SELECT tick, status, finished_at FROM job_runs WHERE job = 'refresh_scores'"
        " AND tick LIKE %s",
        f"{tick}/%",
    )
    return [(str(t), str(s), f) for t, s, f in rows]


def wait_runs(shape: Shape, tick: str, count: int, seconds: float) -> list[tuple[str, str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        done = [r for r in runs(shape, tick) if r[1] == "SUCCEEDED"]
        if len(done) >= count or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def clean_recalculation(shape: Shape, url: str, token: str, days: list[date]) -> dict[str, Any]:
    """The scores as they are, against the same days recalculated now by the worker."""
    if not days:
        return {"days": 0}
    before = scores(shape, days)
    tick = recalculate(url, token, days[0], days[-1])
    span = (days[-1] - days[0]).days + 1
    done = wait_runs(shape, tick, span, 60)
    after = scores(shape, days)
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return {
        "days": len(days),
        "recalculated": len(done) == span,
        "employee_days": len(after),
        "differ": len(differ),
        "example": [str(k) for k in differ[:3]],
    }


def delayed_queue(shape: Shape) -> dict[str, int]:
    """Messages Redis still holds for the worker's delayed queue, and dead letters."""

    def hlen(key: str) -> int:
        return int(shape.redis_command("HLEN", key).strip() or 0)

    return {"delayed": hlen("dramatiq:scores.DQ.msgs"), "dead": hlen("dramatiq:scores.XQ.msgs")}
