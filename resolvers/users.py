"""Signing in, and a user's own password: both limited against guessing. (The admins' list
and changes of users only run a service: ``resolvers.sessions``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.models import User
from resolvers.context import Context
from services import user_admin, users
from services.authentication import Viewer, issue_token, viewer_of
from services.user_admin import RateLimited, WrongPassword


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


async def change_password(ctx: Context, old_password: str, new_password: str) -> User:
    """The viewer's new password. A wrong old one counts as a failed sign-in of the account
    from this address, and is refused as sign-ins are past the limits (``login``): a stolen
    token must not be a way to guess the password at leisure."""
    limits, address = ctx.limiter, ctx.client_address
    email = ctx.viewer.email or f"user {ctx.viewer.user_id}"
    if not await limits.admit(email=email, address=address):
        raise RateLimited("too many wrong passwords; try again later", field="oldPassword")
    try:
        return await ctx.db.write(
            lambda session: user_admin.change_own_password(
                session=session,
                actor=ctx.viewer,
                old_password=old_password,
                new_password=new_password,
                production=ctx.settings.is_production,
            )
        )
    except WrongPassword:
        await limits.failed(email=email, address=address)
        raise
