"""Properties of the interval arithmetic and of a day's score, over generated days: overlaps,
gaps, breaks, open records, night shifts across midnight, DST days, windows exactly on the
idle threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from db.models import Role
from services.intervals import Interval, intersect, minutes, subtract, union
from services.scores import ClockSample, WorkSample, clock_interval, compute_day

BASE = datetime(2026, 11, 20, 4, tzinfo=UTC)  # 22:00 Thursday in Chicago: shifts cross midnight
IDLE = timedelta(minutes=15)
ROLES = {1: Role(points_per_item=1.0, expected_per_hour=60.0)}


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


def shift(draw: st.DrawFn) -> tuple[ClockSample, list[WorkSample]]:
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
    clocks, work = [], []
    for _ in range(draw(st.integers(0, 2))):
        clock, samples = shift(draw)
        clocks.append(clock)
        work += samples
    now = at(draw(st.integers(0, 40 * 60)))
    return clocks, work, now


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
