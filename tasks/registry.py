"""Every actor, declared on the broker the composition root chose, keyed by its ``Job`` (whose
value is the actor's name on the wire), with its delivery rules set explicitly (Dramatiq's
defaults are for someone else's jobs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import dramatiq
from dramatiq import Actor, Broker

from services.jobs import Job
from tasks import connecteam, scores

MINUTE = 60_000  # milliseconds

Actors: TypeAlias = Mapping[Job, Actor[Any, Any]]


def declare(broker: Broker, *, min_backoff_ms: int = 5_000) -> Actors:
    declared: dict[Job, Actor[Any, Any]] = {}

    def actor(job: Job, fn: Callable[..., Any], queue: str, retries: int, limit: int,
              age: int) -> None:  # fmt: skip
        declared[job] = dramatiq.actor(
            actor_name=job.value, queue_name=queue, broker=broker, min_backoff=min_backoff_ms,
            max_retries=retries, time_limit=limit * MINUTE, max_age=age * MINUTE,
        )(fn)  # fmt: skip

    # fmt: off
    # the job, its function and queue; its retries, then its time limit and age limit in minutes
    # every 5 minutes: a late retry is worth nothing once the next tick has run
    actor(Job.REFRESH_SCORES,      scores.refresh_scores,       "scores",      3,  4,      10)
    actor(Job.FINALIZE_DAY,        scores.finalize_day,         "scores",     10, 10, 24 * 60)
    actor(Job.DAILY_ROLLOVER,      scores.daily_rollover,       "scores",     10, 10, 12 * 60)
    # waits for its day's finalization: retried (5 s, 10 s, … about an hour in all)
    actor(Job.BUILD_DAILY_REPORTS, scores.build_daily_reports,  "scores",     10, 10, 24 * 60)
    # Connecteam's own queue: a slow or rate-limited sync never holds up the scores.
    actor(Job.SYNC_USERS,          connecteam.sync_users,       "connecteam",  5, 10, 12 * 60)
    # every 5 minutes, like the refresh; a backfill (triggerSync) sends a longer max_age
    actor(Job.SYNC_TIME_CLOCK,     connecteam.sync_time_clock,  "connecteam",  3, 10,      10)
    actor(Job.SYNC_SCHEDULES,      connecteam.sync_schedules,   "connecteam",  3, 10,      30)
    # after finalization, like the reports; thousands of PUTs at Connecteam's pace
    actor(Job.PUSH_PERFORMANCE,    connecteam.push_performance, "connecteam", 10, 30, 24 * 60)
    # fmt: on
    return declared
