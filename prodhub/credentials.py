"""Who a request's credentials say is asking: the one ``Authorization`` header, a user's access
token (checked against the user's current stamp, so a changed user's tokens end) or a
device's API key. Every layer that reads credentials (the cache's front door, the request
guard, the GraphQL view, the CSV route) reads them here, the same way."""

from __future__ import annotations

from datetime import datetime

from cross_web import HTTPException
from starlette.datastructures import Headers

from cache.freshness import on_primary
from db.engine import Database
from db.outages import database_unavailable
from prodhub.request_budget import Budget
from resolvers.api_keys import device_viewer
from schema.infra.errors import UNAVAILABLE_MESSAGE
from services import api_keys
from services.authentication import ANONYMOUS, Viewer, read_token
from services.errors import Unauthenticated
from services.revocation import UserStamps

REVOKED = "the access token is no longer valid; sign in again"
ONE_AUTHORIZATION = "send one Authorization header"


class CredentialsUnchecked(Exception):
    """The credentials could not be checked: the database failed, or did not answer within
    the request's budget. Not a refusal (they may be good): the request is answered
    ``SERVICE_UNAVAILABLE``, and the client tries again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    then it is refused); an API key costs one indexed SELECT. Both are read on the primary,
    never a replica: a key or a password change takes effect at once."""
    if authorization is None:
        return ANONYMOUS, None
    with on_primary():
        return await _read_credentials(
            authorization, now, db=db, secret=secret, stamps=stamps, read_stamps=read_stamps
        )


async def _read_credentials(
    authorization: str,
    now: datetime,
    *,
    db: Database,
    secret: bytes,
    stamps: UserStamps,
    read_stamps: bool,
) -> tuple[Viewer, str | None]:
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


async def checked_credentials(
    authorization: str | None,
    now: datetime,
    *,
    budget: Budget,
    db: Database,
    secret: bytes,
    stamps: UserStamps,
) -> tuple[Viewer, str | None]:
    """``read_credentials`` within the request's budget: ``CredentialsUnchecked`` when the
    database fails or does not answer in time (its work is cancelled then)."""
    try:
        async with budget.spend():
            return await read_credentials(authorization, now, db=db, secret=secret, stamps=stamps)
    except TimeoutError:
        raise CredentialsUnchecked(
            "the credentials could not be checked: the database did not answer in time; "
            "try again in a few seconds"
        ) from None
    except Exception as failed:
        if database_unavailable(failed):
            raise CredentialsUnchecked(UNAVAILABLE_MESSAGE) from failed
        raise
