"""Faults of the worker's own Redis connections (the web processes' Redis stays healthy):

- ``worker_redis``: black-holed for a while under ingestion, then healed. The debounced
  refreshes that ingestion asked for (delayed messages, 30 s) must still run: after the
  last scan and its debounce, the delayed queue is empty, nothing is dead-lettered, and the
  scores of the scanned days equal a clean recalculation.
- ``failed_invalidation``: a recalculation of past days whose commits land while the
  worker's Redis is black-holed (the cache's tags cannot be bumped then); how long does the
  other web process go on serving the old leaderboard of those days?"""

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
STALE_WATCH = 20.0  # how long the old leaderboard is watched for after a recalculation
PAST_DAYS = 6


def worker_redis(shape: Shape, load: Load, admin: str) -> Outcome:
    proxy = shape.proxies["worker"]
    time.sleep(BEFORE)
    start = time.monotonic()
    proxy.black_hole()
    time.sleep(8.0)
    proxy.restore()
    healed, healed_at = time.monotonic(), datetime.now(UTC).replace(tzinfo=None)
    time.sleep(WATCH)  # scans go on after the heal: they ask for new delayed refreshes
    end = time.monotonic()
    load.ingest = False
    time.sleep(DEBOUNCE + 8.0)  # the last scan's refresh is due, and has run
    queue = checks.delayed_queue(shape)
    write_ticks = shape.sql(
        "SELECT COUNT(*) FROM job_runs WHERE job = 'refresh_scores' AND tick LIKE %s"
        " AND started_at >= %s",
        "%Z/%",
        healed_at,
    )[0][0]
    days = checks.scan_days(shape, load.scanner)
    compared = checks.clean_recalculation(shape, shape.webs[0].url, admin, days)
    load.ingest = True
    extra = {"delayed_queue_after": queue, "debounced_refreshes_run_after_heal": write_ticks,
             "scores_vs_clean_recalculation": compared}  # fmt: skip
    return Outcome("worker-redis", "the worker's Redis silent 8 s, then delivered",
                   Marks(start, healed, end), extra)  # fmt: skip


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
    tick = checks.recalculate(shape.webs[0].url, admin, days[0], days[-1])
    checks.wait_runs(shape, tick, 1, 30)  # the first day committed: black-hole the rest
    proxy = shape.proxies["worker"]
    proxy.black_hole()
    hole_from = datetime.now(UTC).replace(tzinfo=None)
    time.sleep(1.5)
    proxy.restore()
    healed = time.monotonic()
    hole_to = datetime.now(UTC).replace(tzinfo=None)
    done = checks.wait_runs(shape, tick, len(days), 30)
    in_hole = sorted(t.split("/")[-1] for t, _, f in done if f and hole_from <= f <= hole_to)
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
