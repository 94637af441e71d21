"""The standards workers are scored by, disclosed to every signed-in user, each with its
history (``services.standards``)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import sessions
from resolvers.context import Info
from schema.infra.cache_control import cached
from schema.infra.limits.cost import list_size
from schema.infra.permissions import SignedIn
from schema.leaderboard import LeaderboardMetricType
from schema.roles import RoleType
from services import standards

HISTORY = "Its changes, oldest first."


@strawberry.type(name="StandardChange")
class StandardChangeType:
    changed_at: dt.datetime
    figure: str = strawberry.field(
        description="What changed: pointsPerItem, expectedPerHour, idleThresholdMinutes, "
        "productivityGoal or leaderboardMinAvailableMinutes."
    )
    from_: float | None = strawberry.field(
        name="from", description="Null for the first value (a role created, a figure first used)."
    )
    to: float

    @classmethod
    def of(cls, change: standards.Change) -> StandardChangeType:
        return cls(
            changed_at=change.changed_at, figure=change.figure, from_=change.before, to=change.after
        )


@strawberry.type(name="RoleStandard")
class RoleStandardType:
    role: RoleType
    points_per_item: float
    expected_per_hour: float = strawberry.field(description="Items an hour; 0: none.")
    description: str
    history: list[StandardChangeType] = strawberry.field(
        description=f"{HISTORY} From the audit of the role's changes.", metadata=list_size(20)
    )


@strawberry.type(name="StandardFigure")
class StandardFigureType:
    value: float
    description: str
    history: list[StandardChangeType] = strawberry.field(
        description=f"{HISTORY} Each dated when scores were first computed with it.",
        metadata=list_size(20),
    )

    @classmethod
    def of(cls, figure: standards.Figure) -> StandardFigureType:
        return cls(
            value=figure.value,
            description=figure.description,
            history=[StandardChangeType.of(c) for c in figure.history],
        )


@strawberry.type(name="LeaderboardStandard")
class LeaderboardStandardType:
    metric: LeaderboardMetricType
    min_available_minutes: float | None = strawberry.field(
        description="Available minutes in the period an entry needs; null: none."
    )
    description: str
    history: list[StandardChangeType] = strawberry.field(
        description=f"{HISTORY} Each dated when scores were first computed with it.",
        metadata=list_size(20),
    )


@strawberry.type(name="Standards")
class StandardsType:
    roles: list[RoleStandardType] = strawberry.field(metadata=list_size(20))
    idle_threshold: StandardFigureType = strawberry.field(description="In minutes.")
    productivity_goal: StandardFigureType = strawberry.field(description="In percent.")
    leaderboards: list[LeaderboardStandardType] = strawberry.field(metadata=list_size(3))

    @classmethod
    def of(cls, found: standards.Standards) -> StandardsType:
        return cls(
            roles=[
                RoleStandardType(
                    role=RoleType.from_row(r.role),
                    points_per_item=r.role.points_per_item,
                    expected_per_hour=r.role.expected_per_hour,
                    description=r.description,
                    history=[StandardChangeType.of(c) for c in r.history],
                )
                for r in found.roles
            ],
            idle_threshold=StandardFigureType.of(found.idle_threshold),
            productivity_goal=StandardFigureType.of(found.productivity_goal),
            leaderboards=[
                LeaderboardStandardType(
                    metric=board.metric,
                    min_available_minutes=board.min_available_minutes,
                    description=board.description,
                    history=[StandardChangeType.of(c) for c in board.history],
                )
                for board in found.leaderboards
            ],
        )


@strawberry.type
class StandardQueries:
    @strawberry.field(
        description="The standards everyone is scored by, each with its history: each role's "
        "points per item and expected rate, the idle threshold, the productivity goal, and "
        "who is on each leaderboard.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def standards(self, info: Info) -> StandardsType:
        settings = info.context.settings
        found = await sessions.read(
            info.context,
            standards.current_standards,
            idle_threshold=dt.timedelta(minutes=settings.idle_threshold_minutes),
            goal=settings.productivity_goal,
        )
        return StandardsType.of(found)
