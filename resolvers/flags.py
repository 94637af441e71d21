"""Flags for review: a team's to its managers, everyone's to admins; resolved by admins."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import Flag
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services import flags
from services.errors import Forbidden
from services.flags import FlagResolution, FlagStatus
from services.users import UserRole


def _teams(ctx: Context, team_id: int | None) -> frozenset[int] | None:
    """The teams whose flags the viewer asks for and may see (None: all of them)."""
    viewer = ctx.viewer
    if viewer.is_admin:
        return None if team_id is None else frozenset({team_id})
    if viewer.role is not UserRole.MANAGER:
        raise Forbidden("flags are for managers and admins")
    if team_id is None:
        return viewer.team_ids
    if team_id not in viewer.team_ids:
        raise Forbidden("a team's flags are for its managers and admins")
    return frozenset({team_id})


async def flag_page(
    ctx: Context,
    *,
    status: FlagStatus | None,
    team_id: int | None,
    first: int | None,
    after: str | None,
) -> Page[Flag]:
    teams = _teams(ctx, team_id)
    request = forward_page(ctx, flags.FLAG_ORDER, first, after)
    rows: Sequence[Flag] = []
    if teams is None or teams:  # a manager of no team sees no flags, without a statement
        rows = await ctx.db.read(
            lambda session: flags.list_flags(
                session=session,
                status=status,
                team_ids=teams,
                limit=request.limit + 1,
                after=request.after,
            )
        )
    return page_of(ctx, flags.FLAG_ORDER, request, rows)


async def resolve_flag(
    ctx: Context, flag_id: int, resolution: FlagResolution, note: str | None
) -> Flag:
    return await ctx.db.write(
        lambda session: flags.resolve_flag(
            session=session,
            actor=ctx.viewer,
            flag_id=flag_id,
            resolution=resolution,
            note=note,
            now=ctx.now,
        )
    )
