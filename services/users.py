"""Users who sign in: creating them, setting and checking their passwords (argon2id).

A new password must pass ``services.passwords.check_password`` (one rule for every way a
password is set). Hashing or checking a password costs ~50 ms of CPU by design, so it runs
in a worker thread, never on the event loop. An unknown email is checked against a dummy
hash, so it answers in about the same time as a wrong password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from services.errors import BadInput, Conflict
from services.passwords import MAX_PASSWORD_LENGTH, check_password

__all__ = [
    "Conflict",
    "UserRole",
    "authenticate",
    "checked_email",
    "create_user",
    "password_matches",
    "set_password",
]

MAX_EMAIL_LENGTH = 320

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
    active: bool = True,
    production: bool = True,
) -> User:
    """A new user; ``Conflict`` when the email is taken (the unique key decides, atomically),
    ``BadInput`` when the password may not be set (``production``: whether the demo's public
    password is refused too; only the demo loader, outside production, passes False)."""
    address = checked_email(email)
    user = User(
        email=address,
        password_hash=await new_password_hash(password, email=address, production=production),
        role=role.value,
        employee_id=employee_id,
        team_ids=sorted(set(team_ids)),
        active=active,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(f"a user with email {address} exists", field="email") from None
    return user


def checked_email(email: str) -> str:
    """``email`` as users are known by (trimmed, lower-case); ``BadInput`` when it is not one."""
    address = normalize_email(email)
    if not 3 <= len(address) <= MAX_EMAIL_LENGTH or "@" not in address:
        raise BadInput("`email` is not an email address", field="email")
    return address


async def set_password(
    *, session: AsyncSession, user: User, password: str, production: bool
) -> None:
    """Give ``user`` a new password (checked as ``create_user`` checks one). Their tokens end
    once the caller commits: a token vouches for the password hash it was issued with
    (``services.revocation``)."""
    user.password_hash = await new_password_hash(password, email=user.email, production=production)
    await session.flush()


async def new_password_hash(password: str, *, email: str, production: bool) -> str:
    """The argon2id hash of ``password`` if it may be set (``check_password``), off the loop."""

    def checked_hash() -> str:
        check_password(password, email=email, production=production)
        return _hasher.hash(password)

    return await asyncio.to_thread(checked_hash)


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


async def password_matches(*, user: User, password: str) -> bool:
    """Whether ``password`` is the user's (checked off the event loop, as ``authenticate``)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    return await asyncio.to_thread(_matches, user.password_hash, password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not anybody's password")
