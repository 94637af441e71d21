"""Users who sign in: creating them and checking their passwords (argon2id).

Checking a password costs ~50 ms of CPU by design, so it runs in a worker thread, never on the
event loop. An unknown email is checked against a dummy hash, so it answers in about the
same time as a wrong password.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.aio.strategies import RateLimiter
from limits.errors import StorageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from services.errors import BadInput, Conflict

__all__ = ["Conflict", "UserRole", "authenticate", "create_user"]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 320

log = logging.getLogger(__name__)
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


class UserRole(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"  # the teams in ``team_ids``
    EMPLOYEE = "EMPLOYEE"  # their own employee record, ``employee_id``


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    *,
    session: AsyncSession,
    email: str,
    password: str,
    role: UserRole,
    employee_id: int | None = None,
    team_ids: Sequence[int] = (),
) -> User:
    """A new user; ``Conflict`` when the email is taken (the unique key decides, atomically)."""
    address = normalize_email(email)
    if not 3 <= len(address) <= MAX_EMAIL_LENGTH or "@" not in address:
        raise BadInput("`email` is not an email address")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadInput(f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    user = User(
        email=address,
        password_hash=await asyncio.to_thread(_hasher.hash, password),
        role=role.value,
        employee_id=employee_id,
        team_ids=sorted(set(team_ids)),
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(f"a user with email {address} exists") from None
    return user


async def authenticate(*, session: AsyncSession, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (unknown email, wrong password,
    inactive user: the caller cannot tell which, and each takes about as long)."""
    if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_EMAIL_LENGTH:
        return None
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    known = user.password_hash if user is not None else _dummy_hash()
    if not await asyncio.to_thread(_matches, known, password):
        return None
    return user if user is not None and user.active else None


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not anybody's password")


# Failed sign-ins allowed before a pause, per account and per client address (SPEC §7).
FAILED_LOGINS_PER_ACCOUNT = parse("5/15minutes")
FAILED_LOGINS_PER_ADDRESS = parse("30/15minutes")


async def login_allowed(*, limiter: RateLimiter, email: str, address: str) -> bool:
    """Whether neither the account nor the address has used up its failed sign-ins."""
    try:
        return await limiter.test(
            FAILED_LOGINS_PER_ACCOUNT, "login-account", normalize_email(email)
        ) and await limiter.test(FAILED_LOGINS_PER_ADDRESS, "login-address", address)
    except StorageError:
        log.warning("login limits unavailable; not limiting", exc_info=True)
        return True


async def note_failed_login(*, limiter: RateLimiter, email: str, address: str) -> None:
    try:
        await limiter.hit(FAILED_LOGINS_PER_ACCOUNT, "login-account", normalize_email(email))
        await limiter.hit(FAILED_LOGINS_PER_ADDRESS, "login-address", address)
    except StorageError:
        log.warning("login limits unavailable; failure not counted", exc_info=True)
