"""Properties of the interval arithmetic and of a day's score, over generated days: overlaps,
gaps, breaks, open records, night shifts across midnight, DST days, windows exactly on the
idle threshold; the idle periods against a minute-by-minute count; the 23-hour day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from db.models import Role
from services.intervals import Interval, intersect, minutes, subtract, union
from services.scores import ClockSample, WorkSample, clock_interval, compute_day
from services.workdate import local_date, seconds_until_tomorrow

BASE = datetime(2026, 11, 20, 4, tzinfo=UTC)  # 22:00 Thursday in Chicago: shifts cross midnight
IDLE = timedelta(minutes=15)
ROLES = {1: Role(points_per_item=1.0, expected_per_hour=60.0)}
CHICAGO = ZoneInfo("America/Chicago")
# 22:00 in Chicago the evening before an ordinary day, the 23-hour day (2026-03-08, 02:00
# skipped) and the 25-hour day (2026-11-01, 01:00-02:00 twice): generated days start there.
BASES = [
    datetime(2026, 11, 19, 22, tzinfo=CHICAGO).astimezone(UTC),
    datetime(2026, 3, 7, 22, tzinfo=CHICAGO).astimezone(UTC),
    datetime(2026, 10, 31, 22, tzinfo=CHICAGO).astimezone(UTC),
]


def at(minute: int, base: datetime = BASE) -> datetime:
    return base + timedelta(minutes=minute)


intervals = st.lists(
    st.tuples(st.integers(0, 24 * 60), st.integers(0, 6 * 60)).map(
        lambda p: (at(p[0]), at(p[0] + p[1]))
    ),
    max_size=12,
)


def covers(spans: list[Interval], instant: datetime) -> bool:
    return any(start <= instant < end for start, end in spans)


probes = st.integers(0, 31 * 60).map(at)


@given(intervals, st.lists(probes, max_size=20))
def test_union_is_sorted_disjoint_and_covers_the_same_instants(
    spans: list[Interval], points: list[datetime]
) -> None:
    merged = union(spans)

    assert all(a[1] < b[0] for a, b in pairwise(merged))  # gaps between them
    assert all(start < end for start, end in merged)
    assert all(covers(merged, p) == covers(spans, p) for p in points)
    assert minutes(merged) <= sum(minutes([s]) for s in spans if s[0] < s[1])


@given(intervals, intervals, st.lists(probes, max_size=20))
def test_subtract_and_intersect_split_the_base(
    base: list[Interval], holes: list[Interval], points: list[datetime]
) -> None:
    rest, shared = subtract(base, holes), intersect(base, holes)

    assert minutes(rest) + minutes(shared) == minutes(union(base))
    assert intersect(rest, holes) == []
    assert shared == intersect(holes, base)
    for p in points:
        assert covers(rest, p) == (covers(base, p) and not covers(holes, p))


def shift(draw: st.DrawFn, base: datetime) -> tuple[ClockSample, list[WorkSample]]:
    def at(minute: int) -> datetime:
        return base + timedelta(minutes=minute)

    start = draw(st.integers(0, 12 * 60))
    length = draw(st.integers(1, 17 * 60))  # over 16 h: the cap applies
    is_open = draw(st.booleans())
    breaks = [
        (at(start + b), at(start + b + d))
        for b, d in draw(
            st.lists(st.tuples(st.integers(0, length), st.integers(1, 45)), max_size=3)
        )
    ]
    work = [
        WorkSample(1, draw(st.integers(0, 200)), at(start + w), at(start + w + d))
        for w, d in draw(
            st.lists(st.tuples(st.integers(-60, length + 60), st.integers(1, 90)), max_size=20)
        )
    ]
    return ClockSample(at(start), None if is_open else at(start + length), breaks), work


@st.composite
def days(draw: st.DrawFn) -> tuple[list[ClockSample], list[WorkSample], datetime]:
    """Up to two clock records (overlapping or not) from one of ``BASES``, their breaks and
    work windows, and the instant the day is scored at; every instant on a whole minute."""
    base = draw(st.sampled_from(BASES))
    clocks, work = [], []
    for _ in range(draw(st.integers(0, 2))):
        clock, samples = shift(draw, base)
        clocks.append(clock)
        work += samples
    now = at(draw(st.integers(0, 40 * 60)), base)
    return clocks, work, now


def minutes_of(start: datetime, end: datetime) -> set[datetime]:
    """The whole minutes from ``start`` up to ``end``, by their first instant."""
    return {start + timedelta(minutes=m) for m in range(int((end - start) / timedelta(minutes=1)))}


def idle_minute_by_minute(
    clocks: list[ClockSample], work: list[WorkSample], now: datetime
) -> list[Interval]:
    """The idle periods, counted a minute at a time: a minute is idle when some record is
    clocked in (an open one until ``now``, none longer than 16 h), no break of any record
    covers it and no window does; idle minutes in a row make a period from 15 of them on."""
    clocked: set[datetime] = set()
    on_break: set[datetime] = set()
    for clock in clocks:
        end = min(clock.clock_out or now, clock.clock_in + timedelta(hours=16))
        clocked |= minutes_of(clock.clock_in, end)
        for start, stop in clock.breaks:
            on_break |= minutes_of(start, stop or end) & minutes_of(clock.clock_in, end)
    working = set().union(*(minutes_of(w.start, w.end) for w in work))
    idle = sorted(clocked - on_break - working)
    runs: list[list[datetime]] = []
    for minute in idle:
        if runs and runs[-1][-1] + timedelta(minutes=1) == minute:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    return [(run[0], run[-1] + timedelta(minutes=1)) for run in runs if len(run) >= 15]


@settings(max_examples=300)
@given(days())
def test_a_day_is_consistent(day: tuple[list[ClockSample], list[WorkSample], datetime]) -> None:
    clocks, work, now = day

    score = compute_day(work=work, clocks=clocks, roles=ROLES, now=now, idle_threshold=IDLE)

    shifts = [clock_interval(c, now) for c in clocks]
    assert all(end - start <= timedelta(hours=16) for start, end in shifts)  # open or not
    assert abs(score.available_minutes - (score.clocked_minutes - score.break_minutes)) < 1e-6 or (
        len(clocks) > 1  # overlapping records count their common time twice in clocked minutes
    )
    assert 0 <= score.idle_minutes <= score.available_minutes + 1e-6
    assert score.utilization is None or 0 <= score.utilization <= 100 + 1e-9
    windows = [(w.start, w.end) for w in work]
    breaks = [piece for c, s in zip(clocks, shifts, strict=True)
              for piece in intersect([s], [(b, e or s[1]) for b, e in c.breaks])]  # fmt: skip
    for period in score.idle_periods:
        assert period[1] - period[0] >= IDLE
        assert intersect([period], windows) == []  # never while working
        assert intersect([period], breaks) == []  # breaks are never idle
    assert score.idle_minutes == minutes(score.idle_periods)


@settings(max_examples=300)
@given(days())
def test_every_idle_stretch_is_reported_and_nothing_else(
    day: tuple[list[ClockSample], list[WorkSample], datetime],
) -> None:
    """Complete as well as sound: the periods are exactly the idle stretches of 15 minutes or
    more, counted minute by minute, overlapping records and DST days included."""
    clocks, work, now = day

    score = compute_day(work=work, clocks=clocks, roles=ROLES, now=now, idle_threshold=IDLE)

    assert score.idle_periods == idle_minute_by_minute(clocks, work, now)


def test_overlapping_clock_records_are_idle_once_and_a_break_of_either_is_no_idle_time() -> None:
    """09:00-13:00 and 12:00-15:00 (a break 12:30-12:45 on the second); work 09:00-10:00 and
    14:30-15:00, 90 items. Clocked 4 h + 3 h = 420 min; available 09:00-15:00 less the break
    = 345; idle 10:00-12:30 and 12:45-14:30 = 150 + 105 = 255; 90 earned of 345 = 26.09 %."""

    def local(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, 20, hour, minute, tzinfo=CHICAGO).astimezone(UTC)

    clocks = [
        ClockSample(local(9), local(13)),
        ClockSample(local(12), local(15), [(local(12, 30), local(12, 45))]),
    ]
    work = [WorkSample(1, 60, local(9), local(10)), WorkSample(1, 30, local(14, 30), local(15))]

    score = compute_day(work=work, clocks=clocks, roles=ROLES, now=local(18), idle_threshold=IDLE)

    assert score.idle_periods == [(local(10), local(12, 30)), (local(12, 45), local(14, 30))]
    assert (score.clocked_minutes, score.break_minutes, score.available_minutes) == (
        420.0, 15.0, 345.0,
    )  # fmt: skip
    assert (score.idle_minutes, score.active_minutes, score.items_processed) == (255.0, 90.0, 90)
    assert round(score.productivity or 0, 2) == 26.09


def test_a_gap_exactly_on_the_threshold_is_idle_and_one_minute_less_is_not() -> None:
    clock = ClockSample(at(0), at(120))
    exactly = [WorkSample(1, 10, at(0), at(50)), WorkSample(1, 10, at(65), at(120))]
    shorter = [WorkSample(1, 10, at(0), at(50)), WorkSample(1, 10, at(64), at(120))]

    on = compute_day(work=exactly, clocks=[clock], roles=ROLES, now=at(200), idle_threshold=IDLE)
    under = compute_day(work=shorter, clocks=[clock], roles=ROLES, now=at(200), idle_threshold=IDLE)

    assert (on.idle_minutes, on.idle_periods) == (15.0, [(at(50), at(65))])
    assert (under.idle_minutes, under.idle_periods) == (0.0, [])


def test_a_dst_night_counts_real_minutes_not_wall_clock_hours() -> None:
    chicago = ZoneInfo("America/Chicago")
    # 22:00 Saturday to 06:00 Sunday across the end of DST (2026-11-01): 9 hours, not 8.
    clock_in = datetime(2026, 10, 31, 22, tzinfo=chicago).astimezone(UTC)
    clock_out = datetime(2026, 11, 1, 6, tzinfo=chicago).astimezone(UTC)

    score = compute_day(
        work=[],
        clocks=[ClockSample(clock_in, clock_out)],
        roles=ROLES,
        now=clock_out,
        idle_threshold=IDLE,
    )

    assert score.clocked_minutes == 9 * 60
    assert score.idle_periods == [(clock_in, clock_out)]


def test_the_spring_forward_day_has_23_hours_and_a_night_shift_its_real_minutes() -> None:
    """2026-03-08 in Chicago: 02:00 CST is 03:00 CDT. 22:00 Saturday (04:00 UTC) to 06:00
    Sunday (11:00 UTC) is 7 hours, not 8. Work 22:00-01:30 CST (120 items) and 03:30-06:00
    CDT (90 items); the gap 01:30 CST-03:30 CDT looks like 2 hours and is one (07:30-08:30
    UTC). Available 420 min, active 210 + 150 = 360; earned 210 min (60 an hour at 1 point)
    = 50 % of available; utilization 360 / 420 = 85.71 %."""
    clock_in = datetime(2026, 3, 7, 22, tzinfo=CHICAGO).astimezone(UTC)
    clock_out = datetime(2026, 3, 8, 6, tzinfo=CHICAGO).astimezone(UTC)
    gap_start = datetime(2026, 3, 8, 1, 30, tzinfo=CHICAGO).astimezone(UTC)
    gap_end = datetime(2026, 3, 8, 3, 30, tzinfo=CHICAGO).astimezone(UTC)
    work = [WorkSample(1, 120, clock_in, gap_start), WorkSample(1, 90, gap_end, clock_out)]
    midnight = datetime(2026, 3, 8, tzinfo=CHICAGO).astimezone(UTC)

    score = compute_day(
        work=work, clocks=[ClockSample(clock_in, clock_out)], roles=ROLES, now=clock_out,
        idle_threshold=IDLE,
    )  # fmt: skip

    assert (clock_in, clock_out) == (
        datetime(2026, 3, 8, 4, tzinfo=UTC),
        datetime(2026, 3, 8, 11, tzinfo=UTC),
    )
    assert seconds_until_tomorrow(midnight, "America/Chicago") == 23 * 3600
    assert local_date(gap_start, "America/Chicago") == local_date(gap_end, "America/Chicago")
    assert (score.clocked_minutes, score.available_minutes, score.active_minutes) == (
        420.0, 420.0, 360.0,
    )  # fmt: skip
    assert score.idle_periods == [
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), datetime(2026, 3, 8, 8, 30, tzinfo=UTC))
    ]
    assert (score.idle_minutes, score.earned_minutes, score.productivity) == (60.0, 210.0, 50.0)
    assert round(score.utilization or 0, 2) == 85.71
