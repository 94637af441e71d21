"""Every actor, declared on the broker the composition root chose, with its delivery rules
set explicitly (Dramatiq's defaults are for someone else's jobs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq import Actor, Broker

from tasks import connecteam, scores

MINUTE = 60_000  # milliseconds


@dataclass(frozen=True)
class Actors:
    refresh_scores: Actor[Any, Any]
    finalize_day: Actor[Any, Any]
    daily_rollover: Actor[Any, Any]
    build_daily_reports: Actor[Any, Any]
    sync_users: Actor[Any, Any]
    sync_time_clock: Actor[Any, Any]
    sync_schedules: Actor[Any, Any]
    push_performance: Actor[Any, Any]


def declare(broker: Broker, *, min_backoff_ms: int = 5_000) -> Actors:
    def actor(fn: Callable[..., Any], queue: str = "scores", **rules: Any) -> Actor[Any, Any]:
        decorate = dramatiq.actor(
            queue_name=queue, broker=broker, min_backoff=min_backoff_ms, **rules
        )
        return decorate(fn)

    return Actors(
        # every 5 minutes: a late retry is worth nothing once the next tick has run
        refresh_scores=actor(
            scores.refresh_scores, max_retries=3, time_limit=4 * MINUTE, max_age=10 * MINUTE
        ),
        finalize_day=actor(
            scores.finalize_day, max_retries=10, time_limit=10 * MINUTE, max_age=24 * 60 * MINUTE
        ),
        daily_rollover=actor(
            scores.daily_rollover, max_retries=10, time_limit=10 * MINUTE, max_age=12 * 60 * MINUTE
        ),
        # waits for its day's finalization: retried (5 s, 10 s, … about an hour in all)
        build_daily_reports=actor(
            scores.build_daily_reports,
            max_retries=10,
            time_limit=10 * MINUTE,
            max_age=24 * 60 * MINUTE,
        ),
        # Connecteam's own queue: a slow or rate-limited sync never holds up the scores.
        sync_users=actor(
            connecteam.sync_users,
            "connecteam",
            max_retries=5,
            time_limit=10 * MINUTE,
            max_age=12 * 60 * MINUTE,
        ),
        # every 5 minutes, like the refresh; a backfill (triggerSync) sends a longer max_age
        sync_time_clock=actor(
            connecteam.sync_time_clock,
            "connecteam",
            max_retries=3,
            time_limit=10 * MINUTE,
            max_age=10 * MINUTE,
        ),
        sync_schedules=actor(
            connecteam.sync_schedules,
            "connecteam",
            max_retries=3,
            time_limit=10 * MINUTE,
            max_age=30 * MINUTE,
        ),
        # after finalization, like the reports; thousands of PUTs at Connecteam's pace
        push_performance=actor(
            connecteam.push_performance,
            "connecteam",
            max_retries=10,
            time_limit=30 * MINUTE,
            max_age=24 * 60 * MINUTE,
        ),
    )
