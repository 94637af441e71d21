"""A day's explanation, on the hand-computed days the score tests use: it is the engine's own
count (its score is ``compute_day``'s), and every figure is the sum or ratio of its inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from db.models import Role
from services.explanations import Explanation, Span, explain_day
from services.scores import ClockSample, WorkSample, compute_day
from services.standard_sets import StandardSet, standard_set
from tests.helpers import utc

IDLE = timedelta(minutes=15)
CHICAGO = ZoneInfo("America/Chicago")
STANDARDS = standard_set(
    roles=[
        Role(id=1, key="pick", points_per_item=1.0, expected_per_hour=120),
        Role(id=2, key="wrap", points_per_item=2.5, expected_per_hour=0),  # no standard
    ],
    idle_threshold=IDLE,
    goal=100.0,
)


def at(hour: int, minute: int = 0) -> datetime:
    return utc(2026, 11, 20, hour, minute)


def explained(
    work: list[WorkSample], clocks: list[ClockSample], now: datetime, standards: StandardSet
) -> Explanation:
    """The explanation, checked against the engine's score of the same rows."""
    found = explain_day(work=work, clocks=clocks, standards=standards, now=now)
    score = compute_day(
        work=work, clocks=clocks, roles=standards.roles, now=now,
        idle_threshold=standards.idle_threshold,
    )  # fmt: skip
    assert found.score == score
    assert [(f.name, f.value) for f in found.figures] == list(score.figures().items())
    return found


def figures(found: Explanation) -> dict[str, tuple[float | None, list[tuple[str, float]]]]:
    return {f.name: (f.value, f.inputs) for f in found.figures}


def test_a_shift_with_a_break_overlapping_windows_and_an_idle_gap() -> None:
    # Clocked 08:00-12:00 with a 10:00-10:15 break; picking 08:00-09:00 and (overlapping)
    # 08:30-09:30, wrapping 09:40-09:50, picking 11:00-12:00.
    clock = ClockSample(at(8), at(12), [(at(10), at(10, 15))])
    work = [
        WorkSample(1, 120, at(8), at(9)),
        WorkSample(1, 60, at(8, 30), at(9, 30)),
        WorkSample(2, 4, at(9, 40), at(9, 50)),
        WorkSample(1, 100, at(11), at(12)),
    ]

    found = explained(work, [clock], at(18), STANDARDS)

    assert [(c.counted, c.capped, c.breaks) for c in found.clocks] == [
        (Span(at(8), at(12)), False, [Span(at(10), at(10, 15))])
    ]
    assert found.windows == [
        Span(at(8), at(9, 30)), Span(at(9, 40), at(9, 50)), Span(at(11), at(12))
    ]  # fmt: skip
    assert found.outside_available == []
    assert [(g.span, g.span.minutes, g.idle) for g in found.gaps] == [
        (Span(at(9, 30), at(9, 40)), 10.0, False),  # under the 15-minute threshold
        (Span(at(9, 50), at(10)), 10.0, False),
        (Span(at(10, 15), at(11)), 45.0, True),
    ]
    assert [(r.key, r.items, r.points, r.earned_minutes) for r in found.roles] == [
        ("pick", 280, 280.0, 140.0),  # 280 x 60 / 120
        ("wrap", 4, 10.0, 0.0),  # 4 x 2.5 points, no expected rate: no minutes
    ]
    assert figures(found) == {
        "items_processed": (284, [("pick", 280.0), ("wrap", 4.0)]),
        "points_earned": (290.0, [("pick", 280.0), ("wrap", 10.0)]),
        "earned_minutes": (140.0, [("pick", 140.0), ("wrap", 0.0)]),
        "active_minutes": (160.0, [
            ("2026-11-20T08:00:00Z/2026-11-20T09:30:00Z", 90.0),
            ("2026-11-20T09:40:00Z/2026-11-20T09:50:00Z", 10.0),
            ("2026-11-20T11:00:00Z/2026-11-20T12:00:00Z", 60.0),
        ]),
        "clocked_minutes": (240.0, [("2026-11-20T08:00:00Z/2026-11-20T12:00:00Z", 240.0)]),
        "break_minutes": (15.0, [("2026-11-20T10:00:00Z/2026-11-20T10:15:00Z", 15.0)]),
        "available_minutes": (225.0, [
            ("2026-11-20T08:00:00Z/2026-11-20T10:00:00Z", 120.0),
            ("2026-11-20T10:15:00Z/2026-11-20T12:00:00Z", 105.0),
        ]),
        "idle_minutes": (45.0, [("2026-11-20T10:15:00Z/2026-11-20T11:00:00Z", 45.0)]),
        "productivity": (140.0 / 225.0 * 100, [("earnedMinutes", 140.0), ("availableMinutes", 225.0)]),
        "utilization": (160.0 / 225.0 * 100, [
            ("activeMinutesInsideAvailable", 160.0), ("availableMinutes", 225.0)
        ]),
    }  # fmt: skip
    productivity = next(f for f in found.figures if f.name == "productivity")
    assert productivity.formula == "earned minutes / available minutes x 100"
    idle = next(f for f in found.figures if f.name == "idle_minutes")
    assert idle.formula.endswith("that last at least the idle threshold of 15 minutes")


def test_work_outside_the_clock_or_on_a_break_is_active_but_not_utilization() -> None:
    clock = ClockSample(at(8), at(9), [(at(8, 20), at(8, 50))])
    work = [WorkSample(1, 20, at(8), at(8, 10)), WorkSample(1, 20, at(8, 45), at(9, 30))]

    found = explained(work, [clock], at(18), STANDARDS)

    # 08:45-08:50 is on the break and 09:00-09:30 after clock-out; inside available time:
    # 08:00-08:10 and 08:50-09:00
    assert found.outside_available == [Span(at(8, 45), at(8, 50)), Span(at(9), at(9, 30))]
    assert figures(found)["utilization"] == (
        20.0 / 30.0 * 100, [("activeMinutesInsideAvailable", 20.0), ("availableMinutes", 30.0)]
    )  # fmt: skip
    assert [(g.span, g.idle) for g in found.gaps] == [(Span(at(8, 10), at(8, 20)), False)]


def test_an_open_record_counts_to_the_computation_and_at_most_16_hours() -> None:
    opened = ClockSample(at(0), None, [(at(9), None)])  # an open break runs to the record's end

    found = explained([], [opened], at(0) + timedelta(hours=20), STANDARDS)

    [clock] = found.clocks
    assert (clock.clock_out, clock.counted, clock.capped) == (None, Span(at(0), at(16)), True)
    assert clock.breaks == [Span(at(9), at(16))]
    assert figures(found)["clocked_minutes"] == (
        960.0, [("2026-11-20T00:00:00Z/2026-11-20T16:00:00Z", 960.0)]
    )  # fmt: skip
    assert figures(found)["productivity"] == (
        0.0,
        [("earnedMinutes", 0.0), ("availableMinutes", 540.0)],
    )
    assert found.roles == []
    assert figures(found)["items_processed"] == (0, [])


def test_without_a_clock_productivity_is_over_active_time_and_utilization_is_none() -> None:
    found = explained([WorkSample(1, 60, at(8), at(9))], [], at(18), STANDARDS)

    assert figures(found)["productivity"] == (
        50.0,
        [("earnedMinutes", 30.0), ("activeMinutes", 60.0)],
    )
    assert figures(found)["utilization"] == (None, [])
    assert found.outside_available == [Span(at(8), at(9))]


def test_the_spring_forward_night_counts_real_minutes() -> None:
    """2026-03-08 in Chicago: 22:00 Saturday to 06:00 Sunday is 7 hours. Work until 01:30 CST
    and from 03:30 CDT: the gap between is one hour, idle."""
    clock_in = datetime(2026, 3, 7, 22, tzinfo=CHICAGO).astimezone(UTC)
    clock_out = datetime(2026, 3, 8, 6, tzinfo=CHICAGO).astimezone(UTC)
    gap_start = datetime(2026, 3, 8, 1, 30, tzinfo=CHICAGO).astimezone(UTC)
    gap_end = datetime(2026, 3, 8, 3, 30, tzinfo=CHICAGO).astimezone(UTC)
    sixty = standard_set(
        roles=[Role(id=1, key="pick", points_per_item=1.0, expected_per_hour=60)],
        idle_threshold=IDLE, goal=100.0,
    )  # fmt: skip
    work = [WorkSample(1, 120, clock_in, gap_start), WorkSample(1, 90, gap_end, clock_out)]

    found = explained(work, [ClockSample(clock_in, clock_out)], clock_out, sixty)

    assert [(g.span.minutes, g.idle) for g in found.gaps] == [(60.0, True)]
    values = {name: value for name, (value, _) in figures(found).items()}
    assert values == {
        "items_processed": 210, "points_earned": 210.0, "earned_minutes": 210.0,
        "active_minutes": 360.0, "clocked_minutes": 420.0, "break_minutes": 0.0,
        "available_minutes": 420.0, "idle_minutes": 60.0, "productivity": 50.0,
        "utilization": 360.0 / 420.0 * 100,
    }  # fmt: skip
    assert figures(found)["clocked_minutes"][1] == [
        ("2026-03-08T04:00:00Z/2026-03-08T11:00:00Z", 420.0)
    ]
    assert round(figures(found)["utilization"][0] or 0, 2) == 85.71


def test_overlapping_clock_records_are_available_once() -> None:
    """09:00-13:00 and 12:00-15:00 (a break 12:30-12:45 on the second): clocked 240 + 180,
    available 09:00-12:30 and 12:45-15:00."""

    def local(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, 20, hour, minute, tzinfo=CHICAGO).astimezone(UTC)

    clocks = [
        ClockSample(local(9), local(13)),
        ClockSample(local(12), local(15), [(local(12, 30), local(12, 45))]),
    ]
    work = [WorkSample(1, 60, local(9), local(10)), WorkSample(1, 30, local(14, 30), local(15))]

    found = explained(work, clocks, local(18), STANDARDS)

    assert [value for _, value in figures(found)["clocked_minutes"][1]] == [240.0, 180.0]
    assert figures(found)["available_minutes"] == (345.0, [
        ("2026-11-20T15:00:00Z/2026-11-20T18:30:00Z", 210.0),
        ("2026-11-20T18:45:00Z/2026-11-20T21:00:00Z", 135.0),
    ])  # fmt: skip
    assert [(g.span.minutes, g.idle) for g in found.gaps] == [(150.0, True), (105.0, True)]


def test_a_role_the_set_does_not_know_counts_no_points_and_no_minutes() -> None:
    found = explain_day(
        work=[WorkSample(9, 30, at(8), at(9))], clocks=[], standards=STANDARDS, now=at(18)
    )

    assert [(r.role_id, r.key, r.items, r.points, r.earned_minutes) for r in found.roles] == [
        (9, "", 30, 0.0, 0.0)
    ]
    assert (found.score.items_processed, found.score.points_earned) == (30, 0.0)


def test_the_same_figures_are_the_same_set_and_any_change_is_another() -> None:
    pick = Role(id=1, key="pick", points_per_item=1.0, expected_per_hour=120)
    wrap = Role(id=2, key="wrap", points_per_item=2.5, expected_per_hour=0)
    same = standard_set(roles=[wrap, pick], idle_threshold=IDLE, goal=100.0)
    faster = Role(id=1, key="pick", points_per_item=1.0, expected_per_hour=130)

    assert same == STANDARDS and len(same.id) == 64
    assert standard_set(roles=[faster, wrap], idle_threshold=IDLE, goal=100.0).id != same.id
    assert standard_set(roles=[pick, wrap], idle_threshold=IDLE * 2, goal=100.0).id != same.id
    assert standard_set(roles=[pick, wrap], idle_threshold=IDLE, goal=90.0).id != same.id
