"""Connecteam's users as admins see them."""

from __future__ import annotations

import strawberry

from db import models


@strawberry.type(
    name="ConnecteamUser",
    description="A Connecteam user no employee could be chosen for automatically.",
)
class ConnecteamUserType:
    user_id: str = strawberry.field(description="Connecteam's id, for `mapEmployee`.")
    full_name: str
    email: str | None
    unmatched: str | None = strawberry.field(
        description="Why: NO_MATCH, SEVERAL_MATCHES (several employees fit) or CONTESTED "
        "(the employee that fits fits another user too)."
    )

    @classmethod
    def from_row(cls, row: models.ConnecteamUser) -> ConnecteamUserType:
        return cls(
            user_id=row.user_id, full_name=row.full_name, email=row.email, unmatched=row.unmatched
        )
