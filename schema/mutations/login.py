"""``login``: a token for ``Authorization: Bearer <token>``."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import users as resolve
from resolvers.context import Info
from schema.infra.payloads import PayloadErrorType
from schema.users import ViewerType


@strawberry.type(name="LoginPayload")
class LoginPayloadType:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: dt.datetime | None
    viewer: ViewerType | None
    errors: list[PayloadErrorType]


async def login(info: Info, email: str, password: str) -> LoginPayloadType:
    outcome = await resolve.login(info.context, email, password)
    if isinstance(outcome, resolve.Refused):
        error = PayloadErrorType(field=None, code=outcome.code, message=outcome.message)
        return LoginPayloadType(token=None, expires_at=None, viewer=None, errors=[error])
    return LoginPayloadType(
        token=outcome.token,
        expires_at=outcome.expires_at,
        viewer=ViewerType.of(outcome.viewer),
        errors=[],
    )
