"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

import strawberry

from db.engine import Database
from loaders.registry import Loaders
from prodhub.settings import Settings


@dataclass
class Context:
    db: Database
    settings: Settings
    now: datetime
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.now)


Info: TypeAlias = strawberry.Info[Context, None]
