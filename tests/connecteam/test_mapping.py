"""Matching Connecteam users to employees: kept, by email, by exact name, or listed."""

from __future__ import annotations

from services.connecteam.mapping import Person, Why, match
from services.connecteam.models import User


def user(n: int, first: str, last: str, email: str | None = None) -> User:
    return User.model_validate({"userId": n, "firstName": first, "lastName": last, "email": email})


EMPLOYEES = [
    Person(1, "Ann Lee", "ann@example.com", None),
    Person(2, "Bob Ray", None, "900"),  # mapped already to user 900
    Person(3, "Cid Moe", None, None),
    Person(4, "Dee Kim", None, None),
    Person(5, "Dee Kim", None, None),  # two employees of that name
    Person(6, "Eve Fox", "EVE@example.com", None),
]


def test_kept_then_email_then_exact_name_else_listed() -> None:
    found = match(
        [
            user(900, "Robert", "Ray"),  # already mapped, whatever its name says now
            user(901, "Annie", "Lee", " Ann@Example.com "),  # email, any case and spaces
            user(902, "Cid", "Moe"),  # exact name
            user(903, "Dee", "Kim"),  # two employees: listed
            user(904, "Zed", "Nobody", "zed@example.com"),  # nobody: listed
            user(905, "Eve", "Fox", "eve@example.com"),
            user(906, "Eve", "Fox", "EVE@EXAMPLE.COM"),  # the same employee: both listed
            user(907, "cid", "moe"),  # names match exactly, case included: listed
        ],
        EMPLOYEES,
    )

    assert found.mapped == {900: 2}
    assert found.matched == {901: 1, 902: 3}
    assert found.unmatched == {
        903: Why.SEVERAL_MATCHES,
        904: Why.NO_MATCH,
        905: Why.CONTESTED,
        906: Why.CONTESTED,
        907: Why.NO_MATCH,
    }
