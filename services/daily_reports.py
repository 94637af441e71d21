"""Daily reports: each team's finalized day, built once by ``build_daily_reports``
and kept, whatever changes later — what the day looked like when it was closed.

A report holds the team's totals (as ``teamStats`` shows them), its top performers (by
points, then items), its bottlenecks (as ``teamMetrics`` finds them) and its flags by rule.
Every team's report is built by the same dozen statements, and building a day again replaces
its reports (the job is idempotent). A day with scores not final yet is refused: its reports
wait for ``finalize_day``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, DailyReport, DailyScore, Employee, Flag, Role, Team
from services import team_stats
from services.csv_cells import csv_text
from services.final_days import require_final

TOP = 5
REPORTS: Table = DailyReport.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Performer:
    employee_id: int
    items: int
    points: float
    productivity: float | None


async def build_reports(*, session: AsyncSession, work_date: date, now: datetime) -> int:
    """Every team's report for ``work_date``; how many were built."""
    await require_final(session=session, work_date=work_date)
    team_ids = list((await session.scalars(select(Team.id).order_by(Team.id))).all())
    days = await team_stats.team_days(
        session=session, team_ids=team_ids, work_date=work_date, now=now
    )
    scores = (
        await session.execute(
            select(DailyScore.team_id, DailyScore.employee_id, DailyScore.items_processed,
                   DailyScore.points_earned, DailyScore.productivity)
            .where(DailyScore.work_date == work_date, DailyScore.team_id.is_not(None))
            .order_by(DailyScore.team_id, DailyScore.points_earned.desc(),
                      DailyScore.items_processed.desc(), DailyScore.employee_id)
        )
    ).all()  # fmt: skip
    top: dict[int, list[Performer]] = defaultdict(list)
    for s in scores:
        if len(top[s.team_id]) < TOP:
            top[s.team_id].append(
                Performer(s.employee_id, s.items_processed, round(s.points_earned, 2),
                          None if s.productivity is None else round(s.productivity, 1))
            )  # fmt: skip
    activities = (
        await session.execute(
            select(Employee.team_id, Activity.id, Activity.employee_id, Activity.role_id,
                   Activity.items_count, Activity.window_start, Activity.window_end)
            .join(Employee, Employee.id == Activity.employee_id)
            .where(Activity.work_date == work_date, Activity.voided_at.is_(None),
                   Employee.team_id.is_not(None))
        )
    ).all()  # fmt: skip
    by_team: dict[int, list[Any]] = defaultdict(list)
    for a in activities:
        by_team[a.team_id].append(a)
    roles = {role.id: role for role in (await session.scalars(select(Role))).all()}
    flags: dict[int | None, dict[str, int]] = defaultdict(dict)
    for team_id, rule, n in await session.execute(
        select(Flag.team_id, Flag.rule, func.count())
        .where(Flag.work_date == work_date, Flag.team_id.is_not(None),
               Flag.status != "DISMISSED")
        .group_by(Flag.team_id, Flag.rule)
    ):  # fmt: skip
        flags[team_id][rule] = n
    rows = [
        {"team_id": day.team_id, "work_date": work_date, "built_at": now,
         "content": content(day, top[day.team_id],
                            team_stats.bottlenecks(by_team[day.team_id], roles),
                            flags[day.team_id])}
        for day in days
    ]  # fmt: skip
    await session.execute(
        dated(delete(DailyReport).where(DailyReport.work_date == work_date),
              "daily_reports", {work_date})
    )  # fmt: skip
    if rows:
        await session.execute(dated(insert(REPORTS), "daily_reports", {work_date}), rows)
    return len(rows)


def content(
    day: team_stats.TeamDay,
    top: Sequence[Performer],
    bottlenecks: Sequence[team_stats.Bottleneck],
    flags: Mapping[str, int],
) -> dict[str, Any]:
    # who is clocked in "now" says nothing of a closed day: not kept (0 when shown)
    totals = {k: v for k, v in asdict(day).items()
              if k not in ("team_id", "work_date", "clocked_in_now")}  # fmt: skip
    return {
        "totals": totals,
        "top_performers": [asdict(p) for p in top],
        "bottlenecks": [
            {"role_id": b.role.id, "items": b.items, "active_minutes": round(b.active_minutes, 2),
             "actual_per_hour": round(b.actual_per_hour, 2),
             "expected_per_hour": b.expected_per_hour}
            for b in bottlenecks
        ],
        "flags": dict(sorted(flags.items())),
    }  # fmt: skip


async def report_of(*, session: AsyncSession, team_id: int, work_date: date) -> DailyReport | None:
    found: DailyReport | None = await session.scalar(
        dated(
            select(DailyReport).where(
                DailyReport.team_id == team_id, DailyReport.work_date == work_date
            ),
            "daily_reports",
            {work_date},
        )
    )
    return found


def totals_of(report: DailyReport) -> team_stats.TeamDay:
    return team_stats.TeamDay(report.team_id, report.work_date, **report.content["totals"])


CSV_HEADER = ("section", "rank", "employee_code", "employee_name", "role_key", "metric", "value")


def as_csv(
    report: DailyReport, names: Mapping[int, tuple[str, str]], role_keys: Mapping[int, str]
) -> str:
    """The report in long form, one value per row (``names``: employee id → code and name as
    the reader may see them), through ``services.csv_cells``."""
    rows: list[Sequence[object]] = [CSV_HEADER]
    day = totals_of(report)
    for metric, value in {**report.content["totals"], "productivity": day.productivity,
                          "utilization": day.utilization}.items():  # fmt: skip
        rows.append(("total", "", "", "", "", metric, _number(value)))
    for rank, p in enumerate(report.content["top_performers"], 1):
        code, name = names.get(p["employee_id"], ("", ""))
        for metric in ("points", "items", "productivity"):
            rows.append(("top_performer", rank, code, name, "", metric, _number(p[metric])))
    for rank, b in enumerate(report.content["bottlenecks"], 1):
        role = role_keys.get(b["role_id"], "")
        for metric in ("items", "active_minutes", "actual_per_hour", "expected_per_hour"):
            rows.append(("bottleneck", rank, "", "", role, metric, _number(b[metric])))
    for rule, n in report.content["flags"].items():
        rows.append(("flag", "", "", "", "", rule, n))
    return csv_text(rows)


def _number(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 2) if isinstance(value, float) else value
