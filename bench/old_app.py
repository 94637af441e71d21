"""The old Flask app's data access, reproduced for comparison (seed reports 000 and 003).

Per request: a brand-new MySQL connection (``get_db_connection()``), then correlated queries
per employee, with ``DATE(CONVERT_TZ(col, ...)) = %s`` on timestamp columns so that no index
on the date can be used. ``CONVERT_TZ`` gets a fixed offset because the old app's named zones
need MySQL's timezone tables, which a fresh server lacks.
"""

from __future__ import annotations

from datetime import date
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
