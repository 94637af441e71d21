"""The ``Info`` type of every resolver in the schema."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from resolvers.context import Context

Info: TypeAlias = strawberry.Info[Context, None]

__all__ = ["Context", "Info"]
