"""A day's figures are written once: the engine's ``DayScore`` names the columns that the
refresh and the demo data store."""

from __future__ import annotations

from db.models import DailyScore
from services.scores import FIGURES


def test_every_figure_of_a_day_score_is_a_column_and_every_other_column_is_the_rows_own() -> None:
    columns = {column.name for column in DailyScore.__table__.columns}

    assert set(FIGURES) <= columns
    assert columns - set(FIGURES) == {
        "id", "employee_id", "team_id", "work_date", "is_final", "standard_set_id", "updated_at",
    }  # fmt: skip
