"""Shifts, breaks and 10-minute activity windows for one employee-day, from a seeded RNG."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Worker:
    employee_id: int
    code: str
    team_timezone: str
    default_role_id: int
    skill: float  # multiplies the engineered rate
    day_off: int  # weekday (0 = Monday) this worker never works
    shift_hour: int  # local start hour


def demo_code(position: int) -> str:
    """The demo's employee codes: ``E00001``, ``E00002``, ... (by position, never by id)."""
    return f"E{position + 1:05d}"


def is_demo_code(code: str) -> bool:
    return len(code) == 6 and code[0] == "E" and code[1:].isdigit()


def worker(
    seed: int, *, employee_id: int, code: str, team_timezone: str, default_role_id: int
) -> Worker:
    """A demo employee's habits, drawn from the seed and their code alone, so a demo carried
    on to a later day finds them again without the rest of the seeding."""
    rng = random.Random(f"{seed}/{code}")
    return Worker(
        employee_id=employee_id,
        code=code,
        team_timezone=team_timezone,
        default_role_id=default_role_id,
        skill=rng.uniform(0.7, 1.3),
        day_off=(int(code[1:]) - 1) % 7 if is_demo_code(code) else rng.randrange(7),
        shift_hour=rng.choice((5, 6, 7, 8, 14)),
    )


def day_rngs(seed: int, worker: Worker, day: date) -> tuple[random.Random, random.Random]:
    """The RNGs of one employee-day: its plan's, and the one that picks an odd day to flag.
    Keyed by the seed, the code and the date, so a day comes out the same whatever range it is
    generated in: a demo carried on to a later day gets the days a seeding up to that day
    would have, and a day cut off at ``now`` is the start of the same day in full."""
    key = f"{seed}/{worker.code}/{day.isoformat()}"
    return random.Random(key), random.Random(f"{key}/quirks")


@dataclass(slots=True)
class DayPlan:
    clock_in: datetime
    clock_out: datetime | None
    breaks: list[tuple[datetime, datetime]] = field(default_factory=list)
    windows: list[tuple[int, int, datetime, datetime]] = field(default_factory=list)  # role, items


# A few days in a hundred have something a manager should look at (the review flags): a
# long idle stretch, a burst no one can scan by hand, a scan after clocking out.
LONG_IDLE_DAYS, BURST_DAYS, LATE_SCAN_DAYS = 0.02, 0.02, 0.01
LONG_IDLE_AT, LONG_IDLE = timedelta(hours=3), timedelta(minutes=70)  # between two breaks
BURST = 4  # times the window's usual count: over the 3x of IMPOSSIBLE_RATE
BURST_AT = timedelta(hours=4)  # the first window from then on (not the middle of what was cut)


def plan_day(
    rng: random.Random,
    worker: Worker,
    day: date,
    rates: dict[int, float],
    now: datetime,
    quirks: random.Random | None = None,
) -> DayPlan | None:
    """The worker's day, cut off at ``now``; None when the worker does not work that day.
    ``quirks`` (an RNG of its own, so the ordinary days stay what they were) picks the odd
    day with something to flag."""
    if day.weekday() == worker.day_off or rng.random() < 0.06:
        return None
    zone = ZoneInfo(worker.team_timezone)
    start_minute = rng.choice((0, 0, 15, 30))
    clock_in = datetime.combine(day, time(worker.shift_hour, start_minute), zone).astimezone(
        now.tzinfo
    )
    if clock_in >= now:
        return None
    clock_out = clock_in + timedelta(hours=10, minutes=rng.choice((0, 15, 30)))
    breaks = [
        (clock_in + timedelta(hours=2), clock_in + timedelta(hours=2, minutes=15)),
        (clock_in + timedelta(hours=5), clock_in + timedelta(hours=5, minutes=30)),
        (clock_in + timedelta(hours=8), clock_in + timedelta(hours=8, minutes=15)),
    ]
    plan = DayPlan(clock_in, clock_out if clock_out <= now else None)
    plan.breaks = [(b, e) for b, e in breaks if e <= now]
    quirk = quirks.random() if quirks is not None else 1.0
    idle_from = clock_in + LONG_IDLE_AT if quirk < LONG_IDLE_DAYS else None
    cursor = clock_in
    end = min(clock_out, now)
    roles = list(rates)
    while cursor + WINDOW <= end:
        on_break = next((e for b, e in breaks if b <= cursor < e), None)
        if on_break is not None:
            cursor = on_break
            continue
        if idle_from is not None and idle_from <= cursor < idle_from + LONG_IDLE:
            cursor = idle_from + LONG_IDLE
            continue
        if rng.random() < 0.03:  # an idle gap: waiting for stock, a jam, a long chat
            cursor += WINDOW * rng.choice((1, 2, 3, 4))
            continue
        role = worker.default_role_id if rng.random() < 0.8 else rng.choice(roles)
        mean = rates[role] * worker.skill / 6
        items = max(0, round(rng.gauss(mean, mean * 0.15)))
        plan.windows.append((role, items, cursor, cursor + WINDOW))
        cursor += WINDOW
    burst = next((n for n, w in enumerate(plan.windows) if w[2] >= clock_in + BURST_AT), None)
    if LONG_IDLE_DAYS <= quirk < LONG_IDLE_DAYS + BURST_DAYS and burst is not None:
        role, items, start, stop = plan.windows[burst]
        plan.windows[burst] = (role, max(items, 1) * BURST, start, stop)
    late = LONG_IDLE_DAYS + BURST_DAYS <= quirk < LONG_IDLE_DAYS + BURST_DAYS + LATE_SCAN_DAYS
    if late and plan.clock_out is not None and plan.windows:
        start = plan.clock_out + timedelta(minutes=30)
        if start + WINDOW <= now:
            plan.windows.append((plan.windows[-1][0], 5, start, start + WINDOW))
    return plan
