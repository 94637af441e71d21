"""Faults of the worker's own Redis connections (the web processes' Redis stays healthy):

- ``worker_redis``: black-holed 25 s while the worker holds a debounced refresh (a delayed
  message, due 30 s after the scans that asked for it), then healed. The refresh must still
  run: once it is due, the delayed queue is empty, nothing is dead-lettered, and the scores
  of the scanned days equal a clean recalculation.
- ``failed_invalidation``: a recalculation of past days whose commits land while the
  worker's Redis is black-holed (the cache's tags cannot be bumped then: the bench holds the
  days' score rows locked until the black hole begins); how long does the other web process
  go on serving the old leaderboard of those days?"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.faults import checks
from bench.faults.load import Load
from bench.faults.measure import Marks
from bench.faults.scenarios import BEFORE, WATCH, Outcome
from bench.faults.shape import Shape

DEBOUNCE = 30.0  # prodhub's debounce of refreshes after a write
STALE_WATCH = 15.0  # how long the old leaderboard is watched for after a recalculation
PAST_DAYS = 6


def worker_redis(shape: Shape, load: Load, admin: str) -> Outcome:
    """Scans open a debounce window (its refresh is a delayed message, due in 30 s, that the
    worker fetches at once and holds), then stop; the worker's Redis goes silent 25 s and
    comes back. Nothing else refreshes the scanned day in time but that held message."""
    proxy = shape.proxies["worker"]
    shape.forget_debounce()
    time.sleep(BEFORE)  # a scan opens a window: its refresh is held by the worker
    opened = time.monotonic() - BEFORE
    load.ingest = False
    time.sleep(1.0)  # the last scan's answer
    start = time.monotonic()
    proxy.black_hole()
    time.sleep(25.0)  # long enough for Dramatiq's consumer to fail and restart a few times
    proxy.restore()
    healed = time.monotonic()
    time.sleep(max(WATCH, opened + DEBOUNCE + 6.0 - healed))  # the held refresh is due, and run
    end = time.monotonic()
    queue = checks.delayed_queue(shape)
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=end - opened)
    ran = shape.sql(
        "SELECT SUM(tick LIKE %s), SUM(tick NOT LIKE %s) FROM job_runs"
        " WHERE job = 'refresh_scores' AND started_at >= %s",
        "%Z/%",
        "%Z/%",
        since,
    )[0]
    days = checks.scan_days(shape, load.scanner)
    compared = checks.clean_recalculation(shape, shape.webs[0].url, admin, days)
    load.ingest = True
    extra = {"delayed_queue_after": queue, "debounced_refreshes_run": int(ran[0] or 0),
             "scheduled_refreshes_run": int(ran[1] or 0),
             "scores_vs_clean_recalculation": compared}  # fmt: skip
    return Outcome("worker-redis", "the worker's Redis silent 25 s while it holds a delayed "
                   "refresh, then delivered", Marks(start, healed, end), extra)  # fmt: skip


def failed_invalidation(shape: Shape, load: Load, admin: str) -> Outcome:
    assert shape.today is not None
    days = [shape.today - timedelta(days=n) for n in range(PAST_DAYS, 0, -1)]
    other = shape.webs[1].url
    for day in days:  # the other process holds each day's board (a hit)
        for _ in range(2):
            checks.graphql(other, admin, checks.LEADERBOARD, {"d": str(day)})
    marks = ",".join(["%s"] * len(days))  # change the scans behind the caches' back
    shape.sql(f"UPDATE activities SET items_count = items_count + 7 WHERE work_date IN ({marks})"
              " AND MOD(id, 5) = 0", *days)  # fmt: skip
    time.sleep(BEFORE)
    start = time.monotonic()
    proxy = shape.proxies["worker"]
    # The days' scores are locked: the worker's recalculation computes, then waits to write;
    # its Redis goes silent; the lock is released, so every day commits in the black hole.
    with shape.locked(f"SELECT id FROM daily_scores WHERE work_date IN ({marks}) FOR UPDATE",
                      *days):  # fmt: skip
        tick = checks.recalculate(shape.webs[0].url, admin, days[0], days[-1])
        time.sleep(2.0)  # the worker fetched the messages and waits for the lock
        proxy.black_hole()
    time.sleep(1.5)
    in_hole = sorted(t.split("/")[-1] for t, status, _ in checks.runs(shape, tick)
                     if status == "SUCCEEDED")  # fmt: skip
    proxy.restore()
    healed = time.monotonic()
    done = checks.wait_runs(shape, tick, len(days), 30)
    stale = _stale_seconds(other, admin, [d for d in days if str(d) in in_hole])
    extra = {"days": len(days), "recalculated": len(done), "committed_in_black_hole": in_hole,
             "old_board_served_s": stale}  # fmt: skip
    return Outcome("failed-invalidation",
                   "the worker's Redis silent 1.5 s around a recalculation's commits",
                   Marks(start, healed, time.monotonic()), extra)  # fmt: skip


def _stale_seconds(url: str, token: str, days: list[Any]) -> dict[str, float | None]:
    """Per day, from now on: seconds until ``url`` answers the board as it is (a query that
    shares no cache entry with it computes it afresh); None: still old after STALE_WATCH."""
    begin = time.monotonic()
    left = {str(d): None for d in days}
    out: dict[str, float | None] = {}
    while left and time.monotonic() - begin < STALE_WATCH:
        for day in list(left):
            served = checks.graphql(url, token, checks.LEADERBOARD, {"d": day}).json()
            query = f"{checks.LEADERBOARD}\n# fresh {time.monotonic_ns()}"
            fresh = checks.graphql(url, token, query, {"d": day}).json()
            if served == fresh:
                out[day] = round(time.monotonic() - begin, 1)
                del left[day]
        time.sleep(0.5)
    out.update(left)
    return out
