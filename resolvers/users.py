"""Signing in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from resolvers.context import Context
from services import users
from services.viewers import Viewer, issue_token, viewer_of


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    viewer: Viewer


@dataclass(frozen=True)
class Refused:
    code: str  # INVALID_CREDENTIALS | RATE_LIMITED
    message: str


async def login(ctx: Context, email: str, password: str) -> SignedIn | Refused:
    """A token for the user with this email and password. Failures are limited per account
    and client address and per client address; past those limits even the right password is
    refused. An account that fails often elsewhere makes its attempts take turns
    (``services.login_limits``)."""
    limits, address = ctx.limiter, ctx.client_address
    if not await limits.admit(email=email, address=address):
        return Refused("RATE_LIMITED", "too many failed sign-ins; try again later")
    user = await ctx.db.read(
        lambda session: users.authenticate(session=session, email=email, password=password)
    )
    if user is None:
        await limits.failed(email=email, address=address)
        return Refused("INVALID_CREDENTIALS", "wrong email or password")
    await limits.signed_in(email=email, address=address)
    viewer = viewer_of(user)
    ttl = timedelta(minutes=ctx.settings.access_token_ttl_minutes)
    token = issue_token(viewer, secret=ctx.settings.signing_key, now=ctx.now, ttl=ttl)
    return SignedIn(token, ctx.now + ttl, viewer)
