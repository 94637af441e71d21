"""The GraphQL endpoint: Strawberry's ASGI view with our per-request context, Apollo's
automatic persisted queries, and the response cache.

A request is read once before the GraphQL pipeline (``_prepare``): a persisted query's
document is filled in, the viewer read from the token, and, when the operation's cache hints
allow (``schema.infra.cache_control``), the cache asked. A hit is answered right there with the
stored bytes: no JSON decoding or encoding of the response, no Strawberry. A miss runs once
for all identical requests arriving meanwhile (single flight), collecting the tags of what it
reads (``cache.tags``), and is kept unless it has errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import HTTPException, StarletteRequestAdapter
from graphql import GraphQLError, OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from cache import Lookup, Policy
from cache.entries import Bodies
from cache.tags import collect
from prodhub import credentials
from prodhub.compression import STORED, accept_encoding, negotiate
from prodhub.credentials import CredentialsUnchecked, authorization_of
from prodhub.graphiql import local_graphiql_html
from prodhub.graphql_json import decode_body, encode_response
from prodhub.graphql_requests import (
    CACHE_HEADER,
    MAX_DOCUMENT_BYTES,
    ROUTED,
    Prepared,
    Routed,
    cache_control,
    graphql_error,
    persisted_document,
    prepared_of,
    query_params,
    registrant_of,
    send_hit,
    text,
)
from prodhub.graphql_ws import INIT_WAIT, LiveHandler
from prodhub.http_guard import DEVICE
from prodhub.request_budget import budget_of
from prodhub.request_log import note_codes, note_operation, note_viewer
from prodhub.resources import Resources
from resolvers.context import Context, Jobs
from resolvers.live import LiveContext
from schema.build import MAX_TOKENS, build_schema
from schema.infra.document_cache import DocumentStore
from schema.infra.errors import UNAVAILABLE, bounded, request_error_code
from services.authentication import ANONYMOUS, Viewer
from services.board_feed import BoardFeed

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter  # Strawberry's request adapter type

log = logging.getLogger(__name__)

# A request's credentials and operation in all (``prodhub.request_budget``); then it is stopped.
EXECUTION_TIMEOUT_SECONDS = 10.0


class RequestAdapter(StarletteRequestAdapter):
    """Strawberry's view of the request, which keeps the request (and what ``_prepare`` put
    in its state) at hand."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class GraphQLApp(GraphQL[Context, None]):
    request_adapter_class = RequestAdapter
    graphql_transport_ws_handler_class = LiveHandler  # subscriptions: prodhub.graphql_ws

    def __init__(
        self,
        resources: Resources,
        *,
        jobs: Jobs,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        settings = resources.settings
        self.documents = DocumentStore()
        schema = build_schema(production=settings.is_production, documents=self.documents)
        self.graphql_schema = schema._schema
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_WAIT,
            max_subscriptions_per_connection=None,  # the handler's, with a typed refusal
        )
        self.db = resources.db
        self.settings = settings
        self.clock = clock or _utcnow
        self.cache = resources.cache
        self.persisted = resources.persisted
        self.limiter = resources.limiter
        self.stamps = resources.stamps
        self.jobs = jobs
        # Live leaderboards: every board change told in any process recomputes this one's.
        self.notices = resources.notices
        self.boards: BoardFeed[Any] = BoardFeed(
            max_subscriptions=settings.subscriptions_per_process,
            stall_seconds=settings.subscription_stall_seconds,
        )
        self._stop_hearing = self.notices.add_listener(self.boards.changed)
        self._ide_html = "" if settings.is_production else local_graphiql_html()
        # Identical queries arriving while one runs wait for it instead of running again.
        self._in_flight: dict[tuple[str, int], asyncio.Future[tuple[ExecutionResult, int]]] = {}

    async def aclose(self) -> None:
        """Stop the live boards (the connections' handlers end their subscriptions)."""
        self._stop_hearing()
        await self.boards.aclose()

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_html

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors found before execution (a document that does not parse) get their code too;
        a document sent with its hash is registered once it proved it can run."""
        prepared = getattr(request.state, "prepared", None)
        await self._register(prepared if isinstance(prepared, Prepared) else None, result)
        response = await super().process_result(request, result)
        codes = []
        for error in response.get("errors") or []:
            assert isinstance(error, dict)
            extensions = error.setdefault("extensions", {})
            codes.append(extensions.setdefault("code", request_error_code(error["message"])))
        note_codes(codes)
        return response

    def encode_json(self, data: object) -> str | bytes:
        return encode_response(data)

    def decode_json(self, data: str | bytes) -> object:
        return decode_body(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP requests are prepared first (persisted queries resolved, the cache asked);
        a cache hit is answered here with the stored bytes, without the GraphQL pipeline."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            prepared = await self._prepare(request)
            if isinstance(prepared, Response):
                response = prepared
            elif prepared is not None and prepared.hit is not None:
                coding = negotiate(accept_encoding(scope["headers"]))
                await send_hit(send, prepared.hit, self._now_ms(), coding)
                return
            else:
                request.state.prepared = prepared
                response = await self.run(request)
        except HTTPException as e:  # its reason may echo the request (an operation's name)
            response = PlainTextResponse(bounded(e.reason), status_code=e.status_code)
        except CredentialsUnchecked as unchecked:
            response = graphql_error(unchecked.message, UNAVAILABLE)
            note_codes([UNAVAILABLE])
        await response(scope, receive, send)

    async def _prepare(self, request: Request) -> Prepared | Response | None:
        """What the request asks (None: leave it all to Strawberry: a batch, the IDE page, a
        body Strawberry will refuse), with a persisted query's document filled in."""
        if request.method == "POST":
            if "json" not in request.headers.get("content-type", ""):
                return None
            try:
                data = self.decode_json(await request.body())
            except json.JSONDecodeError:
                raise HTTPException(400, "Unable to parse request body as JSON") from None
        elif "query" in request.query_params or "extensions" in request.query_params:
            data = query_params(request)
        else:
            return None
        if not isinstance(data, dict):
            return None
        viewer = await self._viewer_of(request, self.clock())
        note_viewer(*viewer)
        document, sent = await persisted_document(data, self.persisted)
        if isinstance(sent, Response):
            note_codes(_codes_of(sent))
            return sent
        prepared = Prepared(
            data=data,
            query=document,
            register=sent if registrant_of(viewer) else None,
            operation_name=text(data.get("operationName")),
            variables=data.get("variables") if isinstance(data.get("variables"), dict) else None,
        )
        prepared.viewer = viewer
        await self._lookup(prepared, request.scope.get(ROUTED))
        return prepared

    async def _register(self, prepared: Prepared | None, result: ExecutionResult) -> None:
        """Keep a document sent with its hash once the pipeline has parsed and validated it
        and no limit refused it (an error without a path is about the request itself): the
        registry holds only documents that can run."""
        if prepared is None or prepared.register is None or prepared.query is None:
            return
        registrant = registrant_of(prepared.viewer)
        if registrant is None or any(error.path is None for error in result.errors or ()):
            return
        try:
            entry = self.documents.entry(prepared.query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return
        if entry.errors == []:  # validated, without an error
            await self.persisted.put(prepared.register, prepared.query, registrant=registrant)

    async def _lookup(self, prepared: Prepared, routed: Routed | None) -> None:
        """The cache's key and answer, when the operation may be cached (``routed``: what
        the front door found, and where to tell it the key)."""
        viewer, refused = prepared.viewer
        if self.cache is None or refused or prepared.query is None:
            return
        if len(prepared.query) > MAX_DOCUMENT_BYTES:
            return
        try:
            entry = self.documents.entry(prepared.query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return  # the schema's own parse reports it
        note_operation(entry.document.definitions, prepared.operation_name)
        policy = entry.policy(self.graphql_schema, prepared.operation_name)
        if policy is None:
            return
        scope = viewer.cache_scope + (f"/user:{viewer.user_id}" if policy.private else "")
        prepared.policy = policy
        prepared.key = self.cache.key(
            scope=scope,
            query=prepared.query,
            operation_name=prepared.operation_name,
            variables=prepared.variables,
        )
        if routed is not None and routed.lookup is not None and routed.lookup.key == prepared.key:
            prepared.lookup = routed.lookup
        else:
            prepared.lookup = await self.cache.lookup(prepared.key)
        if routed is not None and not viewer.is_device:  # an API key is checked every time
            routed.key = prepared.key
        if prepared.lookup is not None and prepared.lookup.entry is not None:
            prepared.hit = prepared.lookup.entry

    def _now_ms(self) -> int:
        return round(self.clock().timestamp() * 1000)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET that names a persisted query (it carries no ``query``)."""
        return prepared_of(request) is None and super().should_render_graphql_ide(request)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request as ``_prepare`` read it (a body of 10,000 activities is not decoded
        twice), with a persisted query's document filled in; anything else (a batch, the
        IDE page, a streamed response) Strawberry's own parse."""
        prepared = prepared_of(request)
        if (
            prepared is None
            or prepared.data is None
            or "multipart" in request.headers.get("accept", "")
        ):
            return await super().parse_http_body(request)
        data = prepared.data
        for name in ("variables", "extensions"):
            if not isinstance(data.get(name), dict | None):
                raise HTTPException(
                    400, f"The GraphQL operation's `{name}` must be an object or null, if provided."
                )
        if prepared.query is None and data.get("query") is not None:
            raise HTTPException(
                400, "The GraphQL operation's `query` must be a string or null, if provided."
            )
        return GraphQLRequestData(
            query=prepared.query,
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            protocol="http",
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """One context per request: the viewer (from its token, without a statement), fresh
        loaders, and one ``now`` for every field. A websocket connection's is signed in by
        its ``connection_init`` (``prodhub.graphql_ws``)."""
        now = self.clock()
        if isinstance(request, WebSocket):
            return LiveContext(
                db=self.db, settings=self.settings, now=now, viewer=ANONYMOUS,
                limiter=self.limiter, jobs=self.jobs, clock=self.clock, boards=self.boards,
                client_address=request.client.host if request.client else "unknown",
            )  # fmt: skip
        prepared = getattr(request.state, "prepared", None)
        if isinstance(prepared, Prepared):
            viewer, refused = prepared.viewer
        else:
            viewer, refused = await self._viewer_of(request, now)
            note_viewer(viewer, refused)
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

    async def _viewer_of(
        self, request: Request | WebSocket, now: datetime
    ) -> tuple[Viewer, str | None]:
        """The request's viewer; a device's as the request guard checked it, if it did."""
        authorization = authorization_of(request.headers)
        checked = request.scope.get(DEVICE)
        if checked is not None and checked[0] == authorization:
            return checked[1]  # type: ignore[no-any-return]
        return await self.device(request.scope, authorization, now)

    async def device(
        self, scope: Scope, authorization: str | None, now: datetime | None = None
    ) -> tuple[Viewer, str | None]:
        """The viewer of these credentials within the request's budget (``CredentialsUnchecked``
        past it, or when the database fails): a device's for the request guard, anyone's here."""
        return await credentials.checked_credentials(
            authorization, now or self.clock(), budget=budget_of(scope, EXECUTION_TIMEOUT_SECONDS),
            db=self.db, secret=self.settings.signing_key, stamps=self.stamps,
        )  # fmt: skip

    async def viewer(
        self, authorization: str | None, now: datetime, *, read_stamps: bool = True
    ) -> tuple[Viewer, str | None]:
        """The viewer of these credentials, and why they were refused (None when they were
        not): ``prodhub.credentials.read_credentials`` on this app's database and stamps."""
        return await credentials.read_credentials(
            authorization, now, db=self.db, secret=self.settings.signing_key,
            stamps=self.stamps, read_stamps=read_stamps,
        )  # fmt: skip

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Run the operation once for every identical request arriving meanwhile, and keep
        the answer when its policy allows."""

        self._check_document(request_data)
        budget = budget_of(request.scope, EXECUTION_TIMEOUT_SECONDS)

        async def execute() -> ExecutionResult:
            try:
                async with budget.spend():
                    return await super(GraphQLApp, self).execute_single(
                        request, request_adapter, sub_response, context, root_value, request_data
                    )
            except TimeoutError:
                log.warning("operation stopped after %s s", EXECUTION_TIMEOUT_SECONDS)
                return ExecutionResult(data=None, errors=[_timed_out()])
            finally:
                context.loaders.release()

        prepared = getattr(request.state, "prepared", None)
        lookup = prepared.lookup if isinstance(prepared, Prepared) else None
        if lookup is None or request_data.protocol != "http" or context.auth_error:
            sub_response.headers["cache-control"] = "no-store"
            return await execute()
        assert isinstance(prepared, Prepared) and prepared.policy is not None
        policy = prepared.policy
        flight = (lookup.key, lookup.epoch)
        if flight in self._in_flight:
            sub_response.headers[CACHE_HEADER] = "hit"
            result, max_age = await asyncio.shield(self._in_flight[flight])
        else:

            async def execute_and_keep() -> tuple[ExecutionResult, int]:
                with collect() as reads:
                    result = await execute()
                max_age = min(
                    policy.max_age,
                    context.max_age if context.max_age is not None else policy.max_age,
                )
                kept = await self._keep(lookup, result, reads.tags, Policy(max_age, policy.private))
                if kept is not None:  # compressed as stored: sent so (prodhub.compression)
                    request.scope[STORED] = kept
                return result, max_age

            sub_response.headers[CACHE_HEADER] = "miss"
            running = self._in_flight[flight] = asyncio.ensure_future(execute_and_keep())
            running.add_done_callback(lambda _: self._in_flight.pop(flight, None))
            result, max_age = await asyncio.shield(running)
        if result.errors or max_age <= 0:
            sub_response.headers["cache-control"] = "no-store"
        else:
            sub_response.headers.update(cache_control(max_age))
            sub_response.headers["age"] = "0"
        return result

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
        note_operation(operations, request_data.operation_name)
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

    async def _keep(
        self, lookup: Lookup, result: ExecutionResult, tags: set[str], policy: Policy
    ) -> Bodies | None:
        if result.errors or result.data is None or self.cache is None or policy.max_age <= 0:
            return None  # errors are cheap to recompute, and may be about this request alone
        body = orjson.dumps({"data": result.data})
        return await self.cache.store(
            lookup, body=body, tags=tags, policy=policy, stored_at=self.clock().timestamp()
        )


def _codes_of(response: Response) -> list[str]:
    """The codes of an error response made before the GraphQL pipeline (``graphql_error``)."""
    try:
        errors = orjson.loads(response.body).get("errors") or []
        return [str(error["extensions"]["code"]) for error in errors]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return []


def _timed_out() -> GraphQLError:
    return GraphQLError(
        f"the operation took longer than {EXECUTION_TIMEOUT_SECONDS:g} s and was stopped",
        extensions={"code": "TIMEOUT"},
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
