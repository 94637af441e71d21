"""Flags for review: a team's to its managers, everyone's to admins, an employee's own to
them. (Resolving one only runs a service, ``services.flags.resolve_flag``, which decides who
may: ``resolvers.sessions``.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from db.models import Flag
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services import flags
from services.errors import Forbidden
from services.flags import FlagStatus
from services.users import UserRole


@dataclass(frozen=True)
class _Scope:
    """The flags a viewer asks for and may see."""

    teams: frozenset[int] | None  # None: every team's
    employee_id: int | None = None  # an employee's own only


def _scope(ctx: Context, team_id: int | None) -> _Scope | None:
    """None: there is nothing for the viewer to see (no statement is needed to say so)."""
    viewer = ctx.viewer
    asked = None if team_id is None else frozenset({team_id})
    if viewer.is_admin:
        return _Scope(asked)
    if viewer.role is UserRole.MANAGER:
        if team_id is not None and team_id not in viewer.team_ids:
            raise Forbidden("a team's flags are for its managers and admins")
        teams = asked or viewer.team_ids
        return _Scope(teams) if teams else None
    if viewer.employee_id is None:  # an employee without a record has no flags
        return None
    return _Scope(asked, employee_id=viewer.employee_id)


async def flag_page(
    ctx: Context,
    *,
    status: FlagStatus | None,
    team_id: int | None,
    first: int | None,
    after: str | None,
) -> Page[Flag]:
    scope = _scope(ctx, team_id)
    request = forward_page(ctx, flags.FLAG_ORDER, first, after)
    rows: Sequence[Flag] = []
    if scope is not None:
        rows = await ctx.db.read(
            lambda session: flags.list_flags(
                session=session,
                status=status,
                team_ids=scope.teams,
                employee_id=scope.employee_id,
                limit=request.limit + 1,
                after=request.after,
            )
        )
    return page_of(ctx, flags.FLAG_ORDER, request, rows)
