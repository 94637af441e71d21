"""Who is asking: the viewer of a request, read from a signed access token without a statement.

A token (JWT, HS256 with the secret key) carries what authorization needs: the user id, the
role, a manager's teams and an employee's own employee id, and the user's stamp, a hash of
all that and of the password hash (``services.revocation``). So checking access costs no SQL;
a token whose stamp is no longer its user's (deactivated, demoted, moved, deleted, a new
password) is refused within ``revocation.STALE_SECONDS`` in every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cachetools import LRUCache

from db.models import User
from services.errors import Unauthenticated
from services.revocation import user_stamp
from services.users import UserRole


class Permission(StrEnum):
    READ_ALL_EMPLOYEES = "READ_ALL_EMPLOYEES"
    READ_TEAM_EMPLOYEES = "READ_TEAM_EMPLOYEES"  # the teams in ``team_ids``
    READ_OWN_DATA = "READ_OWN_DATA"
    READ_REFERENCE_DATA = "READ_REFERENCE_DATA"  # teams and roles
    MANAGE_REFERENCE_DATA = "MANAGE_REFERENCE_DATA"  # upsert teams, roles, employees
    MANAGE_API_KEYS = "MANAGE_API_KEYS"
    RECORD_ACTIVITIES = "RECORD_ACTIVITIES"
    SHOW_TEAM_LEADERBOARD = "SHOW_TEAM_LEADERBOARD"  # a DISPLAY key: its team's board only


ALGORITHM = "HS256"
AUDIENCE = "prodhub"


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    email: str | None = None
    role: UserRole | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)
    employee_id: int | None = None
    # A device with an API key: no role, only what its scopes allow (INGEST, DISPLAY).
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # A DISPLAY key's team: the one leaderboard it may show, as a non-admin sees it.
    display_team_id: int | None = None
    # What the token vouched for when it was issued (``services.revocation``); None in a
    # token issued before tokens carried one: it ends at its expiry.
    stamp: str | None = None

    @property
    def is_authenticated(self) -> bool:
        """A signed-in user (an API key is not one: it may only do what its scope allows)."""
        return self.role is not None

    @property
    def is_device(self) -> bool:
        return self.api_key_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN

    def may_see_employee(self, employee_id: int, team_id: int | None) -> bool:
        """Whether this viewer may see this employee and the employee's detailed data."""
        match self.role:
            case UserRole.ADMIN:
                return True
            case UserRole.MANAGER:
                return team_id is not None and team_id in self.team_ids
            case UserRole.EMPLOYEE:
                return employee_id == self.employee_id
        return False

    @property
    def permissions(self) -> list[Permission]:
        """What this viewer may do, for clients to shape their screens (the server checks
        each field and mutation itself)."""
        match self.role:
            case UserRole.ADMIN:
                return [
                    Permission.READ_ALL_EMPLOYEES,
                    Permission.READ_REFERENCE_DATA,
                    Permission.MANAGE_REFERENCE_DATA,
                    Permission.MANAGE_API_KEYS,
                    Permission.RECORD_ACTIVITIES,  # admins record too (`recordActivities`)
                ]
            case UserRole.MANAGER:
                return [Permission.READ_TEAM_EMPLOYEES, Permission.READ_REFERENCE_DATA]
            case UserRole.EMPLOYEE:
                return [Permission.READ_OWN_DATA, Permission.READ_REFERENCE_DATA]
        if "INGEST" in self.scopes:
            return [Permission.RECORD_ACTIVITIES]
        return [Permission.SHOW_TEAM_LEADERBOARD] if "DISPLAY" in self.scopes else []

    @property
    def cache_scope(self) -> str:
        """Viewers with the same scope may see exactly the same data, and only they share
        cached responses. It holds every attribute that a decision of what to show reads, for
        every role: the role, the teams, the own employee record (a manager linked to one sees
        that employee by name where other managers of the same teams see "Anonymous"), the
        API key, its scopes and a display key's team. Only the user's identity is left out
        (PRIVATE responses add it). ``tests/cache/test_cache_scope.py`` checks this against
        the code's rules."""
        kind = self.role.value.lower() if self.role else "device" if self.is_device else "anonymous"
        parts = [kind]
        if self.team_ids:
            parts.append("teams:" + ",".join(str(t) for t in sorted(self.team_ids)))
        if self.employee_id is not None:
            parts.append(f"record:{self.employee_id}")
        if self.api_key_id is not None:
            parts.append(f"key:{self.api_key_id}")
        if self.scopes:
            parts.append("scopes:" + ",".join(sorted(self.scopes)))
        if self.display_team_id is not None:
            parts.append(f"board:{self.display_team_id}")
        return "/".join(parts)


ANONYMOUS = Viewer()


def viewer_of(user: User) -> Viewer:
    return Viewer(
        user_id=user.id,
        email=user.email,
        role=UserRole(user.role),
        team_ids=frozenset(user.team_ids or ()),
        employee_id=user.employee_id,
        stamp=user_stamp(user),
    )


def issue_token(viewer: Viewer, *, secret: bytes, now: datetime, ttl: timedelta) -> str:
    assert viewer.role is not None, "only a signed-in viewer has a token"
    claims: dict[str, Any] = {
        "sub": str(viewer.user_id),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "email": viewer.email,
        "role": viewer.role.value,
        "teams": sorted(viewer.team_ids),
        "employee": viewer.employee_id,
    }
    if viewer.stamp is not None:
        claims["stamp"] = viewer.stamp
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Tokens already verified, with their viewer and expiry: a dashboard or phone sends the same
# token with every request, and verifying it (PyJWT, HMAC) costs more than a cached answer.
# The expiry is checked on every use; a token is only ever what its signature proved.
_verified: LRUCache[tuple[str, bytes], tuple[Viewer, float]] = LRUCache(maxsize=10_000)


def read_token(token: str, *, secret: bytes, now: datetime) -> Viewer:
    """The viewer a token was issued to; ``Unauthenticated`` when it is not valid now."""
    known = _verified.get((token, secret))
    if known is None:
        known = _verify(token, secret)
        _verified[(token, secret)] = known
    viewer, expires = known
    if expires <= now.timestamp():  # the request's clock, not the process's
        raise Unauthenticated("the access token has expired; sign in again")
    return viewer


def _verify(token: str, secret: bytes) -> tuple[Viewer, float]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "iat", "role"], "verify_exp": False},
        )
        expires = float(claims["exp"])
        viewer = Viewer(
            user_id=int(claims["sub"]),
            email=claims.get("email"),
            role=UserRole(claims["role"]),
            team_ids=frozenset(_ints(claims.get("teams") or [])),
            employee_id=None if claims.get("employee") is None else int(claims["employee"]),
            stamp=None if claims.get("stamp") is None else str(claims["stamp"]),
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        raise Unauthenticated("the access token is not valid; sign in again") from None
    return viewer, expires


def _ints(values: Iterable[Any]) -> list[int]:
    return [int(v) for v in values]
