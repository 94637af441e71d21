"""Who a request's credentials say is asking: the one ``Authorization`` header, a user's access
token (checked against the user's current stamp, so a changed user's tokens end) or a
device's API key. Every layer that reads credentials (the cache's front door, the request
guard, the GraphQL view, the CSV route) reads them here, the same way."""

from __future__ import annotations

from datetime import datetime

from cross_web import HTTPException
from starlette.datastructures import Headers

from db.engine import Database
from resolvers.api_keys import device_viewer
from services import api_keys
from services.errors import Unauthenticated
from services.revocation import UserStamps
from services.viewers import ANONYMOUS, Viewer, read_token

REVOKED = "the access token is no longer valid; sign in again"
ONE_AUTHORIZATION = "send one Authorization header"


def authorization_of(headers: Headers) -> str | None:
    """The request's credentials. Several ``Authorization`` headers are a 400: every layer
    must read the same ones (a front door that read the last and a view that read the first
    once served one viewer's cached answer to another)."""
    values = headers.getlist("authorization")
    if len(values) > 1:
        raise HTTPException(400, ONE_AUTHORIZATION)
    return values[0] if values else None


async def read_credentials(
    authorization: str | None,
    now: datetime,
    *,
    db: Database,
    secret: bytes,
    stamps: UserStamps,
    read_stamps: bool = True,
) -> tuple[Viewer, str | None]:
    """The viewer, and why its credentials were refused (None when they were not). A user's
    token is checked without a statement while this process's user stamps are fresh
    (``services.revocation``; stale, they are read first, unless ``read_stamps`` is False:
    then it is refused); an API key costs one indexed SELECT."""
    if authorization is None:
        return ANONYMOUS, None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return ANONYMOUS, "send `Authorization: Bearer <token>`"
    if api_keys.is_api_key(token):
        device = await device_viewer(db, token, now)
        return (device, None) if device else (ANONYMOUS, "the API key is not valid")
    try:
        viewer = read_token(token, secret=secret, now=now)
    except Unauthenticated as refused:
        return ANONYMOUS, refused.message
    if viewer.stamp is None or viewer.user_id is None:  # issued before stamps: ends at expiry
        return viewer, None
    if read_stamps:
        current = await stamps.vouches(viewer.user_id, viewer.stamp)
    else:
        current = stamps.known(viewer.user_id, viewer.stamp) is True
    return (viewer, None) if current else (ANONYMOUS, REVOKED)
