"""The GraphQL endpoint: Strawberry's ASGI view with our per-request context and response cache."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cross_web import HTTPException
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from core.cache import CacheError, Lookup
from prodhub.graphiql import local_graphiql_html
from prodhub.resources import Resources
from resolvers.api_keys import device_viewer
from resolvers.context import Context, Jobs
from schema.build import MAX_TOKENS, build_schema
from schema.document_cache import DocumentStore
from schema.errors import request_error_code
from services import api_keys
from services.errors import Unauthenticated
from services.viewers import ANONYMOUS, Viewer, read_token

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter  # Strawberry's request adapter type

log = logging.getLogger(__name__)

EXECUTION_TIMEOUT_SECONDS = 10.0  # a request that takes longer is stopped, its work cancelled
MAX_RESPONSE_BYTES = 16 << 20
# Valid UTF-8 holds no surrogate; in JSON text only such an escape can write one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
MAX_DOCUMENT_BYTES = 20_000  # characters; a dashboard's largest query is under 2,000
CACHE_HEADER = "x-prodhub-cache"  # hit | miss; absent when the request was not cacheable


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        resources: Resources,
        *,
        jobs: Jobs,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        settings = resources.settings
        self.documents = DocumentStore()
        super().__init__(
            build_schema(production=settings.is_production, documents=self.documents),
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
        )
        self.db = resources.db
        self.settings = settings
        self.clock = clock or _utcnow
        self.cache = resources.cache
        self.limiter = resources.limiter
        self.jobs = jobs
        self._ide_html = "" if settings.is_production else local_graphiql_html()
        # Identical queries arriving while one runs wait for it instead of running again.
        self._in_flight: dict[tuple[str, int], asyncio.Future[ExecutionResult]] = {}

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_html

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors found before execution (a document that does not parse) get their code too."""
        response = await super().process_result(request, result)
        for error in response.get("errors") or []:
            assert isinstance(error, dict)
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", request_error_code(error["message"]))
        return response

    def encode_json(self, data: object) -> str | bytes:
        """The response, unless it is over ``MAX_RESPONSE_BYTES``: then an error in its place
        (the cost limit keeps this rare; this is the last bound, on what goes out)."""
        encoded = json.dumps(data, separators=(",", ":"))
        if len(encoded) <= MAX_RESPONSE_BYTES:
            return encoded
        log.warning("response of %d characters not sent", len(encoded))
        too_large = {
            "message": f"the response is over {MAX_RESPONSE_BYTES:,} bytes: ask for less",
            "extensions": {"code": "RESPONSE_TOO_LARGE"},
        }
        return json.dumps({"data": None, "errors": [too_large]}, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        """The request body: strict UTF-8, a JSON object, nesting bounded, no lone surrogates
        (which no database accepts). Anything else is a 400, never a 500."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            decoded = json.loads(text)
            if isinstance(data, str) or SURROGATE_ESCAPE.search(text):  # else none can be in it
                json.dumps(decoded, ensure_ascii=False).encode("utf-8")  # lone surrogates fail
        except UnicodeError:
            raise HTTPException(400, "the request body is not valid UTF-8 text") from None
        except RecursionError:
            raise HTTPException(400, "the request body's JSON is nested too deeply") from None
        if not isinstance(decoded, dict):
            raise HTTPException(400, "the request body must be a JSON object") from None
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """One context per request: the viewer (from its token, without a statement), fresh
        loaders, and one ``now`` for every field."""
        now = self.clock()
        viewer, refused = await self._viewer(request.headers.get("authorization"), now)
        return Context(
            db=self.db,
            settings=self.settings,
            now=now,
            viewer=viewer,
            limiter=self.limiter,
            client_address=request.client.host if request.client else "unknown",
            jobs=self.jobs,
            auth_error=refused,
        )

    async def _viewer(self, authorization: str | None, now: datetime) -> tuple[Viewer, str | None]:
        """The viewer, and why its credentials were refused (None when they were not). A user's
        token is checked without a statement; an API key costs one indexed SELECT."""
        if authorization is None:
            return ANONYMOUS, None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return ANONYMOUS, "send `Authorization: Bearer <token>`"
        if api_keys.is_api_key(token):
            device = await device_viewer(self.db, token, now)
            return (device, None) if device else (ANONYMOUS, "the API key is not valid")
        try:
            return read_token(token, secret=self.settings.signing_key, now=now), None
        except Unauthenticated as refused:
            return ANONYMOUS, refused.message

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Answer a query from the response cache, or run it once and keep the answer."""

        self._check_document(request_data)

        async def execute() -> ExecutionResult:
            try:
                async with asyncio.timeout(EXECUTION_TIMEOUT_SECONDS):
                    return await super(GraphQLApp, self).execute_single(
                        request, request_adapter, sub_response, context, root_value, request_data
                    )
            except TimeoutError:
                log.warning("operation stopped after %s s", EXECUTION_TIMEOUT_SECONDS)
                return ExecutionResult(data=None, errors=[_timed_out()])

        found = await self._lookup(context, request_data)
        if found is None:
            return await execute()
        if found.data is not None:
            sub_response.headers[CACHE_HEADER] = "hit"
            return ExecutionResult(data=found.data, errors=None)
        flight = (found.key, found.generation)
        if flight in self._in_flight:
            sub_response.headers[CACHE_HEADER] = "hit"
            return await asyncio.shield(self._in_flight[flight])

        async def execute_and_keep() -> ExecutionResult:
            result = await execute()
            await self._keep(found, result)
            return result

        sub_response.headers[CACHE_HEADER] = "miss"
        running = self._in_flight[flight] = asyncio.ensure_future(execute_and_keep())
        running.add_done_callback(lambda _: self._in_flight.pop(flight, None))
        return await asyncio.shield(running)

    def _check_document(self, request_data: GraphQLRequestData) -> None:
        """Refuse what must not reach the parser or run ambiguously: documents over
        ``MAX_DOCUMENT_BYTES``, and several operations without ``operationName``."""
        document = request_data.query
        if document is None:
            return
        if len(document) > MAX_DOCUMENT_BYTES:
            raise HTTPException(
                413, f"query documents are limited to {MAX_DOCUMENT_BYTES} characters"
            )
        operations = self._operations(document)
        if request_data.operation_name is None and len(operations) > 1:
            raise HTTPException(
                400, "the document has several operations: name one in operationName"
            )

    def _operations(self, document: str) -> list[OperationDefinitionNode]:
        try:
            parsed = self.documents.entry(document, max_tokens=MAX_TOKENS).document
        except GraphQLError:
            return []  # the schema's own parse reports it
        return [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]

    def _cacheable(self, request_data: GraphQLRequestData) -> bool:
        """Only queries over HTTP are cached."""
        if request_data.protocol != "http" or request_data.query is None:
            return False
        operations = self._operations(request_data.query)
        name = request_data.operation_name
        chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
        return len(chosen) == 1 and chosen[0].operation is OperationType.QUERY

    async def _lookup(self, context: Context, request_data: GraphQLRequestData) -> Lookup | None:
        """The cache's answer; None when the request is not cacheable or the cache is down."""
        if self.cache is None or context.auth_error or not self._cacheable(request_data):
            return None  # refused credentials are answered with an error, never from a cache
        assert request_data.query is not None  # _cacheable checked it
        key = self.cache.key(
            scope=context.cache_scope,
            query=request_data.query,
            operation_name=request_data.operation_name,
            variables=request_data.variables,
        )
        try:
            return await self.cache.lookup(key)
        except CacheError:
            log.warning("response cache unavailable; answering without it", exc_info=True)
            return None

    async def _keep(self, found: Lookup, result: ExecutionResult) -> None:
        if result.errors or result.data is None or self.cache is None:
            return  # errors are cheap to recompute, and may be about this request alone
        try:
            await self.cache.store(found, result.data)
        except CacheError:
            log.warning("response cache unavailable; response not kept", exc_info=True)


def _timed_out() -> GraphQLError:
    return GraphQLError(
        f"the operation took longer than {EXECUTION_TIMEOUT_SECONDS:g} s and was stopped",
        extensions={"code": "TIMEOUT"},
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
