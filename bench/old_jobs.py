"""The old app's ingestion and scoring, reproduced for comparison (seed reports 000 and 003):
a query per item, and a loop of queries per employee, each on a connection of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pymysql

from services.scores import ClockSample, WorkSample, compute_day


def record(params: dict[str, Any], items: list[dict[str, Any]]) -> int:
    """Each item: find the employee, find the role, check the reference, insert. Returns the
    statements sent."""
    connection = pymysql.connect(**params, autocommit=False)
    sent = 0
    try:
        with connection.cursor() as cursor:
            for item in items:
                cursor.execute("SELECT id FROM employees WHERE code = %s", (item["employeeCode"],))
                employee = cursor.fetchone()
                cursor.execute("SELECT id FROM roles WHERE `key` = %s", (item["roleKey"],))
                role = cursor.fetchone()
                cursor.execute(
                    "SELECT id FROM activities WHERE external_ref = %s", (item["externalRef"],)
                )
                sent += 3
                if employee is None or role is None or cursor.fetchone() is not None:
                    continue
                start = datetime.fromisoformat(item["windowStart"])
                cursor.execute(
                    "INSERT INTO activities (employee_id, role_id, items_count, window_start,"
                    " window_end, work_date, source, external_ref, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, DATE(CONVERT_TZ(%s, '+00:00', '-06:00')),"
                    " 'scanner', %s, NOW())",
                    (employee[0], role[0], item["itemsCount"], start.replace(tzinfo=None),
                     datetime.fromisoformat(item["windowEnd"]).replace(tzinfo=None),
                     start.replace(tzinfo=None), item["externalRef"]),
                )  # fmt: skip
                sent += 1
        connection.commit()
        sent += 1
    finally:
        connection.close()
    return sent


def refresh(params: dict[str, Any], day: date, now: datetime) -> int:
    """For each employee: their activities, their roles, their clock records and breaks, then
    an upsert of the score. Returns the statements sent."""
    connection = pymysql.connect(**params, autocommit=False)
    sent = 0
    try:
        with connection.cursor() as cursor:

            def query(sql: str, *args: object) -> list[Any]:
                nonlocal sent
                sent += 1
                cursor.execute(sql, args)
                return list(cursor.fetchall())

            for (employee_id,) in query("SELECT id FROM employees WHERE active = 1"):
                rows = query(
                    "SELECT a.role_id, a.items_count, a.window_start, a.window_end,"
                    " r.points_per_item, r.expected_per_hour FROM activities a"
                    " JOIN roles r ON r.id = a.role_id WHERE a.employee_id = %s"
                    " AND DATE(CONVERT_TZ(a.window_start, '+00:00', '-06:00')) = %s"
                    " AND a.voided_at IS NULL", employee_id, day,
                )  # fmt: skip
                clocks = query(
                    "SELECT id, clock_in, clock_out FROM clock_records WHERE employee_id = %s"
                    " AND DATE(CONVERT_TZ(clock_in, '+00:00', '-06:00')) = %s", employee_id, day,
                )  # fmt: skip
                samples = []
                for clock_id, clock_in, clock_out in clocks:
                    breaks = query(
                        "SELECT start, `end` FROM clock_breaks WHERE clock_record_id = %s", clock_id
                    )
                    spans = [(_utc(b), _utc(e)) for b, e in breaks]
                    samples.append(ClockSample(_utc(clock_in), _utc(clock_out), spans))
                if not rows and not samples:
                    continue
                roles = {r[0]: _Role(r[4], r[5]) for r in rows}
                score = compute_day(
                    work=[WorkSample(r[0], r[1], _utc(r[2]), _utc(r[3])) for r in rows],
                    clocks=samples, roles=roles, now=now, idle_threshold=timedelta(minutes=15),
                )  # fmt: skip
                query(
                    "INSERT INTO daily_scores (employee_id, work_date, items_processed,"
                    " points_earned, earned_minutes, active_minutes, clocked_minutes,"
                    " break_minutes, available_minutes, idle_minutes, productivity, utilization,"
                    " is_final, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " %s, 0, NOW()) ON DUPLICATE KEY UPDATE"
                    " items_processed = VALUES(items_processed),"
                    " points_earned = VALUES(points_earned), idle_minutes = VALUES(idle_minutes)",
                    employee_id, day, score.items_processed, score.points_earned,
                    score.earned_minutes, score.active_minutes, score.clocked_minutes,
                    score.break_minutes, score.available_minutes, score.idle_minutes,
                    score.productivity, score.utilization,
                )  # fmt: skip
        connection.commit()
        sent += 1
    finally:
        connection.close()
    return sent


class _Role:
    def __init__(self, points: float, rate: float) -> None:
        self.points_per_item, self.expected_per_hour = points, rate


def _utc(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if value is not None else None
