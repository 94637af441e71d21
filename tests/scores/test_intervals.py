"""Interval arithmetic used by scoring."""

from __future__ import annotations

from datetime import datetime

from services.intervals import intersect, minutes, subtract, union
from tests.helpers import utc


def t(hour: int, minute: int = 0) -> datetime:
    return utc(2026, 11, 20, hour, minute)


def test_union_merges_overlapping_and_touching_and_drops_empty() -> None:
    merged = union(
        [(t(10), t(11)), (t(9), t(10)), (t(10, 30), t(12)), (t(13), t(13)), (t(14), t(15))]
    )

    assert merged == [(t(9), t(12)), (t(14), t(15))]


def test_subtract_cuts_holes_out_of_every_base_interval() -> None:
    rest = subtract([(t(8), t(12)), (t(13), t(17))], [(t(10), t(10, 30)), (t(11, 45), t(13, 30))])

    assert rest == [(t(8), t(10)), (t(10, 30), t(11, 45)), (t(13, 30), t(17))]


def test_intersect_keeps_only_shared_time() -> None:
    shared = intersect([(t(8), t(12)), (t(13), t(17))], [(t(11), t(14)), (t(16), t(18))])

    assert shared == [(t(11), t(12)), (t(13), t(14)), (t(16), t(17))]


def test_minutes_sums_lengths() -> None:
    assert minutes([(t(8), t(8, 45)), (t(9), t(9, 30))]) == 75.0
