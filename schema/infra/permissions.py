"""Permission classes of the schema's fields."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from resolvers.context import Info
from services.authentication import Permission, Viewer
from services.errors import Forbidden, Unauthenticated

DEVICES_ONLY_INGEST = "an API key may only record activities"
DISPLAYS_ONLY_THEIR_BOARD = "a DISPLAY key may only show its team's leaderboard"


def refused_device(viewer: Viewer) -> Forbidden:
    """What a device is told when it asks beyond its key's scope."""
    if Permission.SHOW_TEAM_LEADERBOARD in viewer.permissions:
        return Forbidden(DISPLAYS_ONLY_THEIR_BOARD)
    return Forbidden(DEVICES_ONLY_INGEST)


class SignedIn(BasePermission):
    """The request carries a valid access token. What a signed-in viewer then sees of each
    employee is decided per row by ``Viewer.may_see_employee``, without a statement."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        if context.viewer.is_authenticated:
            return True
        if context.viewer.is_device:
            raise refused_device(context.viewer)
        raise Unauthenticated(context.auth_error or "sign in to see this")


class SeesLeaderboards(SignedIn):
    """Signed in, or a device with a DISPLAY key: that one may ask for its own team's board
    only (``resolvers.leaderboard.board_of`` holds it to it), and sees it as a non-admin."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if Permission.SHOW_TEAM_LEADERBOARD in info.context.viewer.permissions:
            return True
        return super().has_permission(source, info, **kwargs)


class IsAdmin(BasePermission):
    """Signed in with role ADMIN."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer.is_device:
            raise refused_device(viewer)
        if not viewer.is_authenticated:
            raise Unauthenticated(info.context.auth_error or "sign in to do this")
        if not viewer.is_admin:
            raise Forbidden("only admins may do this")
        return True


class MayRecordActivities(BasePermission):
    """A device whose API key has scope INGEST, or an admin."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if Permission.RECORD_ACTIVITIES in viewer.permissions or viewer.is_admin:
            return True
        if viewer.is_authenticated or viewer.is_device:
            raise Forbidden("only devices with an INGEST key and admins record activities")
        raise Unauthenticated(info.context.auth_error or "sign in to do this")
