"""The per-request context every resolver receives, and the ``Info`` type that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

import strawberry

from core.settings import Settings
from db.engine import Database
from loaders.registry import Loaders


@dataclass
class Context:
    """One per request: the database, settings, one ``now`` for every field, fresh loaders."""

    db: Database
    settings: Settings
    now: datetime
    # Who may see this response: the response cache keys on it, so two viewers share cached
    # responses only if they may see the same data (role and teams, or their own employee id).
    cache_scope: str
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.now)

    @property
    def cursor_secret(self) -> bytes:
        return self.settings.secret_key.get_secret_value().encode()


Info: TypeAlias = strawberry.Info[Context, None]
