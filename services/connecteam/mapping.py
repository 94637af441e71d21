"""Which employee each Connecteam user is: kept when already mapped, else matched
automatically by email (case-insensitive), then by exact full name, and only when exactly one
employee fits; every other user is listed for an admin to map by hand (``mapEmployee``).

Pure: it takes the users and the employees and says what to map; the sync writes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.connecteam.models import User


@dataclass(frozen=True, slots=True)
class Person:
    """An employee as the matching sees them."""

    id: int
    name: str
    email: str | None
    connecteam_user_id: str | None


class Why(StrEnum):
    NO_MATCH = "NO_MATCH"  # no unmapped employee has the email or the name
    SEVERAL_MATCHES = "SEVERAL_MATCHES"  # more than one employee fits
    CONTESTED = "CONTESTED"  # the one employee that fits fits another user too


@dataclass
class Matching:
    mapped: dict[int, int] = field(default_factory=dict)  # user id -> employee id, already
    matched: dict[int, int] = field(default_factory=dict)  # user id -> employee id, new
    unmatched: dict[int, Why] = field(default_factory=dict)  # user id -> why not


def match(users: Iterable[User], employees: Sequence[Person]) -> Matching:
    found = Matching()
    by_user = {p.connecteam_user_id: p.id for p in employees if p.connecteam_user_id}
    free = [p for p in employees if not p.connecteam_user_id]
    by_email: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    for person in free:
        if person.email:
            by_email[_email(person.email)].append(person.id)
        by_name[_name(person.name)].append(person.id)
    candidates: dict[int, int] = {}
    for user in users:
        if str(user.user_id) in by_user:
            found.mapped[user.user_id] = by_user[str(user.user_id)]
            continue
        fits = by_email.get(_email(user.email), []) if user.email else []
        if not fits:
            fits = by_name.get(_name(user.full_name), [])
        if len(fits) == 1:
            candidates[user.user_id] = fits[0]
        else:
            found.unmatched[user.user_id] = Why.NO_MATCH if not fits else Why.SEVERAL_MATCHES
    claims: dict[int, list[int]] = defaultdict(list)
    for user_id, employee_id in candidates.items():
        claims[employee_id].append(user_id)
    for employee_id, user_ids in claims.items():
        for user_id in user_ids:
            if len(user_ids) == 1:
                found.matched[user_id] = employee_id
            else:
                found.unmatched[user_id] = Why.CONTESTED
    return found


def _email(value: str) -> str:
    return value.strip().casefold()


def _name(value: str) -> str:
    return " ".join(value.split())
