"""Export days as CSV, one value per row (long form), every cell through
``services.csv_cells``: a day's standards, its roles (their standards, items, points, earned
and active minutes, the rate achieved), each role's windows, the day's score figures, its idle
periods and its flags with their resolutions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.csv_cells import csv_text
from services.scores import FIGURES
from services.work_speed.days import ExportDay

CSV_HEADER = ("work_date", "section", "role", "start", "end", "metric", "value",
              "status", "resolved_by", "resolved_at", "note")  # fmt: skip
PERCENTS = frozenset({"productivity", "utilization"})  # one decimal, as the API shows them

Row = Sequence[object]


def header() -> str:
    return csv_text([CSV_HEADER])


def day_csv(day: ExportDay) -> str:
    """The day's lines, each with every column (empty cells after its own)."""
    width = len(CSV_HEADER)
    return csv_text([(*row, *([None] * (width - len(row)))) for row in day_rows(day)])


def day_rows(day: ExportDay) -> list[Row]:
    d = day.work_date.isoformat()
    rows: list[Row] = [
        (d, "standard", "", "", "", "idle_threshold_minutes", number(day.idle_threshold_minutes)),
        (d, "standard", "", "", "", "productivity_goal", number(day.productivity_goal)),
    ]
    for role in day.roles:
        key, s = role.standard.key, role.standard
        for metric, value in (
            ("points_per_item", s.points_per_item), ("expected_per_hour", s.expected_per_hour),
            ("items", role.items), ("points", role.points),
            ("earned_minutes", role.earned_minutes), ("active_minutes", role.active_minutes),
            ("rate_per_hour", role.rate_per_hour),
        ):  # fmt: skip
            rows.append((d, "role", key, "", "", metric, number(value)))
        for w in role.windows:
            start, end = instant(w.start), instant(w.end)
            rows.append((d, "window", key, start, end, "items", w.items))
            rows.append((d, "window", key, start, end, "rate_per_hour", number(w.rate_per_hour)))
    if day.score is not None:
        for name in FIGURES:
            value = getattr(day.score, name)
            rows.append((d, "score", "", "", "", name, number(value, 1 if name in PERCENTS else 2)))
        rows.append((d, "score", "", "", "", "is_final", "true" if day.score.is_final else "false"))
    for p in day.idle_periods:
        rows.append((d, "idle", "", instant(p.start), instant(p.end), "minutes", number(p.minutes)))
    for f in day.flags:
        details = json.dumps(f.details, sort_keys=True)
        rows.append((d, "flag", "", "", "", f.rule, details, f.status, f.resolved_by,
                     instant(f.resolved_at), f.resolution_note))  # fmt: skip
    return rows


def number(value: Any, digits: int = 2) -> Any:
    """A figure as the export shows it: floats rounded, None an empty cell."""
    if value is None:
        return None
    return round(value, digits) if isinstance(value, float) else value


def instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
