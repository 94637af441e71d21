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
    """A token for the user with this email and password. Failures are counted per account
    and per client address; past the limit, even the right password waits."""
    address = ctx.client_address
    if not await users.login_allowed(limiter=ctx.limiter, email=email, address=address):
        return Refused("RATE_LIMITED", "too many failed sign-ins; try again later")
    user = await ctx.db.read(
        lambda session: users.authenticate(session=session, email=email, password=password)
    )
    if user is None:
        await users.note_failed_login(limiter=ctx.limiter, email=email, address=address)
        return Refused("INVALID_CREDENTIALS", "wrong email or password")
    viewer = viewer_of(user)
    ttl = timedelta(minutes=ctx.settings.access_token_ttl_minutes)
    token = issue_token(viewer, secret=ctx.settings.signing_key, now=ctx.now, ttl=ttl)
    return SignedIn(token, ctx.now + ttl, viewer)
