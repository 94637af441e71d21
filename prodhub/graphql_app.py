"""The GraphQL endpoint: Strawberry's ASGI view with our per-request context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from db.engine import Database
from prodhub.graphiql import local_graphiql_html
from prodhub.settings import Settings
from resolvers.context import Context
from schema.build import build_schema


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            build_schema(production=settings.is_production),
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
        )
        self.db = db
        self.settings = settings
        self.clock = clock or _utcnow
        self._ide_html = "" if settings.is_production else local_graphiql_html()

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_html

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """One context per request: fresh loaders, and one ``now`` for every field."""
        return Context(db=self.db, settings=self.settings, now=self.clock())


def _utcnow() -> datetime:
    return datetime.now(UTC)
