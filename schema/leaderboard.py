"""The leaderboard: ranked standings over a period, page by page."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from contextlib import aclosing, suppress
from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import SelectedField

from resolvers import leaderboard as resolve
from resolvers.context import Info
from resolvers.leaderboard import LeaderboardPage, Wanted
from resolvers.live import live_pages
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.permissions import SeesLeaderboards
from schema.infra.relay import PageInfo, optional_global_id, page_info
from schema.teams import TeamType
from services.authentication import Viewer
from services.gamification import ANONYMOUS_NAME, named_to
from services.leaderboard import Metric, Standing

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(
    Metric,
    name="LeaderboardMetric",
    description="What a board ranks by, and so who is on it. POINTS and ITEMS: everyone with a "
    "daily score in the period. PRODUCTIVITY (earned / available minutes, ranked as shown, to "
    "one decimal): only those with at least 60 available minutes in the period, so that a few "
    "minutes' work does not top the board; the others are left off it and out of totalCount.",
)
LeaderboardMetricType = Metric


@strawberry.type(name="LeaderboardEntry")
class LeaderboardEntryType:
    rank: int = strawberry.field(description="1 + the entries with a strictly better metric.")
    items_processed: int
    points_earned: float
    productivity: float | None = strawberry.field(
        description="Earned / available minutes over the period, in percent, to one decimal "
        "(what a PRODUCTIVITY board ranks by); null without available minutes."
    )
    display_name: str = strawberry.field(
        description='The employee\'s name, or "Anonymous" when they opted out of leaderboards '
        "(then their name is shown to admins and themselves only)."
    )
    employee: EmployeeType | None = strawberry.field(
        description="Null when the employee opted out of leaderboards and the viewer is neither "
        "an admin nor them: the entry then carries nothing that identifies them."
    )

    @classmethod
    def of(cls, standing: Standing, viewer: Viewer) -> LeaderboardEntryType:
        """An entry, with the employee its page's statement brought along."""
        row = standing.employee
        assert row is not None
        named = named_to(viewer, row)
        return cls(
            rank=standing.rank,
            items_processed=standing.items,
            points_earned=round(standing.points, 2),
            productivity=standing.productivity,
            display_name=row.name if named else ANONYMOUS_NAME,
            employee=EmployeeType.seen_by(row, viewer) if named else None,
        )


@strawberry.type(name="LeaderboardEdge")
class LeaderboardEdgeType:
    cursor: str
    node: LeaderboardEntryType


@strawberry.type(name="LeaderboardConnection")
class LeaderboardConnectionType:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    metric: LeaderboardMetricType
    total_count: int = strawberry.field(
        description="Entries on the whole board: everyone with a daily score in the period, "
        "for PRODUCTIVITY only those with at least 60 available minutes."
    )
    edges: list[LeaderboardEdgeType]
    page_info: PageInfo
    team_id: strawberry.Private[int | None]

    @strawberry.field(
        graphql_type=TeamType | None,
        description="The team whose board this is (`teamId`); null for a board of every team.",
    )
    def team(self, info: Info) -> Any:
        """At once when the request holds the team already (a board of today read its
        timezone), else through the loader."""
        return TeamType.by_id(info, self.team_id)

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
            page_info=page_info(found.page, edges),
            team_id=found.board.team_id,
        )


FromDay = Annotated[dt.date | None, strawberry.argument(name="from")]


@strawberry.type
class LeaderboardQueries:
    @strawberry.field(
        description="Employees ranked by a metric from `from` to `to` (default: today's "
        "points; with only `from`, from then to today): by POINTS or ITEMS everyone with a "
        "daily score in the period, by PRODUCTIVITY only those with at least 60 available "
        "minutes; page size at most 100. A DISPLAY key sees its own team's board only (its "
        "team without `teamId`), as a non-admin does.",
        permission_classes=[SeesLeaderboards],
        directives=cached(300),
    )
    async def leaderboard(
        self,
        info: Info,
        from_: FromDay = None,
        to: dt.date | None = None,
        team_id: strawberry.ID | None = None,
        metric: LeaderboardMetricType = Metric.POINTS,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> LeaderboardConnectionType:
        board = await resolve.board_of(
            info.context,
            start=from_,
            end=to,
            team_id=optional_global_id(team_id, TeamType),
            metric=metric,
        )
        found = await resolve.leaderboard_page(
            info.context, board, first=first, after=after, last=last, before=before,
            wanted=wanted_of(info),
        )  # fmt: skip
        return LeaderboardConnectionType.of(found, info.context.viewer)


@strawberry.type
class LeaderboardSubscriptions:
    @strawberry.subscription(
        description="The leaderboard's first page (the `leaderboard` query's, forwards from "
        "its start), now and then again each time a refresh or a correction changes it: "
        "never on a timer, nor when nothing changed. Over graphql-transport-ws at /graphql, "
        'the access token in connection_init\'s payload: `{Authorization: "Bearer <token>"}`; '
        "it ends with UNAUTHENTICATED when the token expires or is revoked, and with "
        "SLOW_CONSUMER when updates are not read. A DISPLAY key (a floor screen, its key in "
        "the same place) watches its own team's board only.",
        permission_classes=[SeesLeaderboards],
    )
    async def leaderboard_updated(
        self,
        info: Info,
        team_id: strawberry.ID | None = None,
        metric: LeaderboardMetricType = Metric.POINTS,
        from_: FromDay = None,
        to: dt.date | None = None,
        first: int | None = None,
    ) -> AsyncGenerator[LeaderboardConnectionType, None]:
        board = await resolve.board_of(
            info.context,
            start=from_,
            end=to,
            team_id=optional_global_id(team_id, TeamType),
            metric=metric,
        )
        pages = live_pages(
            info.context, board, first=first, wanted=wanted_of(info),
            shown=LeaderboardConnectionType.of,
        )  # fmt: skip
        async with aclosing(pages):  # leaving (the client's complete) ends its subscription
            async for page in pages:
                yield page.shown


def wanted_of(info: Info) -> Wanted:
    """What the query selects of ``edges.node.employee`` (through fragments too)."""
    employee: list[Any] = []
    board = _flat(info.selected_fields)  # this field, as asked (aliases: each of them)
    for edges in (e for field in board for e in _children(field.selections, "edges")):
        for node in _children(edges.selections, "node"):
            for found in _children(node.selections, "employee"):
                employee += _flat(found.selections)

    def days(name: str) -> frozenset[dt.date]:
        found = set()
        for field in employee:
            value = field.arguments.get("date") if field.name == name else None
            if isinstance(value, dt.date):
                found.add(value)
            elif isinstance(value, str):
                with suppress(ValueError):  # the field's own parsing reports a bad date
                    found.add(dt.date.fromisoformat(value))
        return frozenset(found)

    return Wanted(
        team=any(field.name == "team" for field in employee),
        score_days=days("score"),
        breakdown_days=days("activityBreakdown"),
    )


def _flat(selections: list[Any]) -> list[Any]:
    """Fields, with those of fragments spread in."""
    fields = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields.append(selection)
        else:
            fields += _flat(selection.selections)
    return fields


def _children(selections: list[Any], name: str) -> list[SelectedField]:
    return [f for f in _flat(selections) if f.name == name]
