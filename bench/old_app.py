"""The old Flask app's data access, reproduced for comparison (seed reports 000 and 003).

Per request: a brand-new MySQL connection (``get_db_connection()``), then correlated queries
per employee, with ``DATE(CONVERT_TZ(col, ...)) = %s`` on timestamp columns so that no index
on the date can be used. ``CONVERT_TZ`` gets a fixed offset because the old app's named zones
need MySQL's timezone tables, which a fresh server lacks.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pymysql
from sqlalchemy.engine import make_url

OFFSET = "-06:00"


def connect_params(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return {
        "host": parsed.host,
        "port": parsed.port or 3306,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }


def dashboard(params: dict[str, Any], day: date, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The dashboard rows and the number of SQL statements it took."""
    connection = pymysql.connect(**params, cursorclass=pymysql.cursors.DictCursor)
    statements = 0
    try:
        with connection.cursor() as cursor:

            def query(sql: str, *args: object) -> list[dict[str, Any]]:
                nonlocal statements
                statements += 1
                cursor.execute(sql, args)
                return list(cursor.fetchall())

            employees = query(
                "SELECT * FROM employees WHERE active = 1 ORDER BY name, id LIMIT %s", limit
            )
            rows = [_employee(query, e, day) for e in employees]
    finally:
        connection.close()
    return rows, statements


def _employee(query: Any, employee: dict[str, Any], day: date) -> dict[str, Any]:
    eid = employee["id"]
    team = query("SELECT name FROM teams WHERE id = %s", employee["team_id"])
    role = query("SELECT name FROM roles WHERE id = %s", employee["default_role_id"])
    score = query(
        "SELECT points_earned, productivity FROM daily_scores "
        "WHERE employee_id = %s AND work_date = %s",
        eid,
        day,
    )
    breakdown = query(
        "SELECT r.`key` AS role_key, SUM(a.items_count) AS items, "
        "SUM(a.items_count) * r.points_per_item AS points "
        "FROM activities a JOIN roles r ON r.id = a.role_id "
        f"WHERE a.employee_id = %s AND DATE(CONVERT_TZ(a.window_start, '+00:00', '{OFFSET}')) = %s "
        "AND a.voided_at IS NULL GROUP BY r.id ORDER BY r.`key`",
        eid,
        day,
    )
    clocks = query(
        "SELECT clock_in, clock_out FROM clock_records "
        f"WHERE employee_id = %s AND DATE(CONVERT_TZ(clock_in, '+00:00', '{OFFSET}')) = %s "
        "ORDER BY clock_in",
        eid,
        day,
    )
    open_clock = query(
        "SELECT COUNT(*) AS n FROM clock_records "
        "WHERE employee_id = %s AND clock_out IS NULL "
        "AND clock_in > UTC_TIMESTAMP() - INTERVAL 16 HOUR",
        eid,
    )
    return {
        "name": employee["name"],
        "team": team[0]["name"] if team else None,
        "role": role[0]["name"] if role else None,
        "points": score[0]["points_earned"] if score else None,
        "items": sum(int(b["items"]) for b in breakdown),
        "clocks": len(clocks),
        "clocked_in": open_clock[0]["n"] > 0,
    }


# The old /leaderboard endpoint (seed report 000, ``dashboard.py`` lines 267-352): a CTE of
# the day's activity totals, correlated subqueries per employee, CONVERT_TZ on timestamps, and
# no LIMIT: every active employee comes back, and the page is cut in Python. The index hint is
# not the old app's: without it MariaDB computes the CTE per employee through our totals index
# and a row lookup per activity (2.4 s on profile L); with it, 0.8 s. It gets its best plan.
OLD_LEADERBOARD = f"""
WITH activity_aggregates AS (
    SELECT a.employee_id, a.role_id, SUM(a.items_count) AS total_items
    FROM activities a FORCE INDEX (ix_activities_employee_id_window_start_id)
    WHERE a.window_start >= %s AND a.window_start < %s AND a.voided_at IS NULL
    GROUP BY a.employee_id, a.role_id
    HAVING total_items > 0
)
SELECT e.id, e.name, t.name AS team, ds.items_processed, ds.points_earned, ds.productivity,
    (SELECT GROUP_CONCAT(CONCAT(r.`key`, ':', aa.total_items) ORDER BY r.`key`)
       FROM activity_aggregates aa JOIN roles r ON r.id = aa.role_id
      WHERE aa.employee_id = e.id) AS breakdown,
    (SELECT r2.name FROM activities al2 JOIN roles r2 ON r2.id = al2.role_id
      WHERE al2.employee_id = e.id
        AND DATE(CONVERT_TZ(al2.window_start, '+00:00', '{OFFSET}')) = %s
      ORDER BY al2.window_start DESC LIMIT 1) AS latest_role,
    (SELECT COUNT(*) FROM activities al3
      WHERE al3.employee_id = e.id
        AND DATE(CONVERT_TZ(al3.window_start, '+00:00', '{OFFSET}')) = %s) AS activity_count,
    ct.clocked_minutes
FROM employees e
LEFT JOIN teams t ON t.id = e.team_id
LEFT JOIN daily_scores ds ON ds.employee_id = e.id AND ds.work_date = %s
LEFT JOIN (
    SELECT employee_id,
           SUM(TIMESTAMPDIFF(MINUTE, clock_in, COALESCE(clock_out, UTC_TIMESTAMP())))
             AS clocked_minutes
    FROM clock_records
    WHERE DATE(CONVERT_TZ(clock_in, '+00:00', '{OFFSET}')) = %s
    GROUP BY employee_id
) ct ON ct.employee_id = e.id
WHERE e.active = 1
ORDER BY COALESCE(ds.points_earned, 0) DESC
"""


def leaderboard(params: dict[str, Any], day: date, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The old leaderboard's first ``limit`` rows (all of them fetched), and its statements."""
    start = datetime.combine(day, time(6))  # the company's midnight at the fixed offset, in UTC
    connection = pymysql.connect(**params, cursorclass=pymysql.cursors.DictCursor)
    try:
        with connection.cursor() as cursor:
            cursor.execute(OLD_LEADERBOARD, (start, start + timedelta(days=1), day, day, day, day))
            rows = list(cursor.fetchall())
    finally:
        connection.close()
    return rows[:limit], 1
