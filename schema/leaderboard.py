"""The leaderboard: ranked standings over a period, page by page."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.leaderboard import LeaderboardPage
from schema.employees import EmployeeType
from schema.relay import PageInfo
from services.leaderboard import Metric, Standing
from services.viewers import Viewer

LeaderboardMetricType = strawberry.enum(Metric, name="LeaderboardMetric")


@strawberry.type(name="LeaderboardEntry")
class LeaderboardEntryType:
    rank: int = strawberry.field(description="1 + the entries with a strictly better metric.")
    items_processed: int
    points_earned: float
    productivity: float | None = strawberry.field(
        description="Earned / available minutes over the period, in percent."
    )
    employee: EmployeeType = strawberry.field(
        description="By name, unless they opted out (then to admins and themselves only)."
    )

    @classmethod
    def of(cls, standing: Standing, viewer: Viewer) -> LeaderboardEntryType:
        """An entry, with the employee its page's statement brought along."""
        assert standing.employee is not None
        productivity = (
            round(standing.earned * 100 / standing.available, 1) if standing.available else None
        )
        return cls(
            rank=standing.rank,
            items_processed=standing.items,
            points_earned=round(standing.points, 2),
            productivity=productivity,
            employee=EmployeeType.on_leaderboard(standing.employee, viewer),
        )


@strawberry.type(name="LeaderboardEdge")
class LeaderboardEdgeType:
    cursor: str
    node: LeaderboardEntryType


@strawberry.type(name="LeaderboardConnection")
class LeaderboardConnectionType:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    metric: LeaderboardMetricType  # type: ignore[valid-type]
    total_count: int = strawberry.field(description="Entries on the whole board.")
    edges: list[LeaderboardEdgeType]
    page_info: PageInfo

    @classmethod
    def of(cls, found: LeaderboardPage, viewer: Viewer) -> LeaderboardConnectionType:
        edges = [
            LeaderboardEdgeType(cursor=cursor, node=LeaderboardEntryType.of(standing, viewer))
            for cursor, standing in found.page.rows
        ]
        return cls(
            from_=found.board.start,
            to=found.board.end,
            metric=found.board.metric,
            total_count=found.total,
            edges=edges,
            page_info=PageInfo(
                has_next_page=found.page.has_next,
                has_previous_page=found.page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
