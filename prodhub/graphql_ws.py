"""Subscriptions over graphql-transport-ws at ``/graphql``: Strawberry's protocol handler, with
what a connection that lives for hours needs.

- **Credentials** come in ``connection_init``'s payload, ``{"Authorization": "Bearer <token>"}``
  (what a query sends as its header; a browser cannot set headers on a websocket): a user's
  token, or a DISPLAY key (a floor screen). They are checked again every
  ``subscription_recheck_seconds`` (a revoked token or key, a changed user) and at a token's
  expiry: then every subscription ends with ``UNAUTHENTICATED`` and the connection closes
  (4403).
- **Only subscriptions**: queries and mutations are HTTP's, where the admission gate, the
  request budget and the cache stand. A document is refused as over HTTP (its size here, its
  depth, aliases, tokens and cost by the schema's own limits), with ``extensions.code``.
- **Bounded**: ``subscriptions_per_connection`` and ``subscriptions_per_process`` (the
  process's ``BoardFeed`` counts them), refused ``TOO_MANY_SUBSCRIPTIONS``; an update is sent
  only when it differs from what the subscriber last got; a subscriber that does not read
  holds one page at most (``services.board_feed``).
- **Alive**: the server pings every ``subscription_ping_seconds``; a connection whose pong
  has not come by the next ping is closed (4408), and its subscriptions end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt
import orjson
from graphql import GraphQLError, GraphQLFormattedError, OperationDefinitionNode, OperationType
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    NextMessage,
    NextMessagePayload,
    PongMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from prodhub.credentials import CredentialsUnchecked
from prodhub.graphql_requests import MAX_DOCUMENT_BYTES
from resolvers.context import Context
from resolvers.live import LiveContext
from schema.build import MAX_TOKENS
from schema.infra.errors import bounded
from services.authentication import ANONYMOUS
from services.board_feed import TooManySubscriptions

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

    from prodhub.graphql_app import GraphQLApp

log = logging.getLogger(__name__)

INIT_WAIT = timedelta(seconds=10)  # a connection that sends no connection_init is closed then
CREDENTIALS_SECONDS = 10.0  # checking credentials takes this long at most
PONG_MISSED = 4408
CREDENTIALS_ENDED = 4403
UNCHECKED = 1013  # "try again later": the credentials could not be checked


class LiveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authorization: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pong_owed = False

    @property
    def app(self) -> GraphQLApp:
        return self.view  # type: ignore[return-value]

    @property
    def live(self) -> LiveContext:
        assert isinstance(self.context, LiveContext)
        return self.context

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if isinstance(payload, dict) and not self.connection_init_received:
            try:
                await self._sign_in(payload)
            except CredentialsUnchecked as unchecked:
                await self.websocket.close(UNCHECKED, bounded(unchecked.message)[:120])
                return
        await super().handle_connection_init(message)
        if self.connection_acknowledged and not self._tasks:
            self.app.notices.listen()
            self._tasks = [asyncio.create_task(self._ping_forever())]
            if self.live.viewer.is_authenticated or self.live.viewer.is_device:
                self._tasks.append(asyncio.create_task(self._recheck_forever()))

    async def handle_pong(self, message: PongMessage) -> None:
        self._pong_owed = False

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message.get("id") in self.operations:
            await super().handle_subscribe(message)  # the protocol's own closes
            return
        operation_id = message["id"]
        refusal = self._refusal(message.get("payload"))
        if refusal is not None:
            await self._refuse(operation_id, *refusal)
            return
        if len(self.operations) >= self.app.settings.subscriptions_per_connection:
            limit = self.app.settings.subscriptions_per_connection
            await self._refuse(
                operation_id,
                f"a connection holds {limit} subscriptions at most; complete one first",
                TooManySubscriptions.code,
            )
            return
        boards = self.app.boards
        try:
            boards.reserve()
        except TooManySubscriptions as refused:
            await self._refuse(operation_id, refused.message, refused.code)
            return
        try:
            await super().handle_subscribe(message)
        except BaseException:  # a malformed message: the protocol closes the connection
            boards.release()
            raise
        operation = self.operations.get(operation_id)
        if operation is None or operation.task is None:
            boards.release()
        else:
            operation.task.add_done_callback(lambda _: boards.release())

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's, on a context of the operation's own (its loaders are its pages')."""
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.live.for_operation(_operation_key(operation)),
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:  # the protocol closed the connection over its document
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        """Each result, unless it is what the subscriber last got."""
        last: object = None
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            first = False
            shown = (result.data, [error.formatted for error in result.errors or ()])
            if shown == last:
                continue
            last = shown
            await operation.send_next(result)

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await super().shutdown()

    async def _sign_in(self, payload: dict[str, Any]) -> None:
        found = payload.get("Authorization", payload.get("authorization"))
        if found is None:
            return
        authorization = found if isinstance(found, str) else ""
        try:
            async with asyncio.timeout(CREDENTIALS_SECONDS):
                viewer, refused = await self.app.viewer(authorization, self.app.clock())
        except TimeoutError:
            raise CredentialsUnchecked("the credentials could not be checked in time") from None
        except Exception as failed:
            raise CredentialsUnchecked("the credentials could not be checked") from failed
        self.authorization = authorization
        self.live.viewer, self.live.auth_error = viewer, refused

    def _refusal(self, payload: object) -> tuple[str, str] | None:
        """Why the subscribe's document is refused before it runs, if it is, and the code;
        a document that does not parse is left to the schema (the protocol closes on it)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return None
        query: str = payload["query"]
        if len(query) > MAX_DOCUMENT_BYTES:
            return (
                f"query documents are limited to {MAX_DOCUMENT_BYTES} characters",
                "DOCUMENT_TOO_LARGE",
            )
        try:
            document = self.app.documents.entry(query, max_tokens=MAX_TOKENS).document
        except GraphQLError:
            return None
        name = payload.get("operationName")
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
        if len(chosen) == 1 and chosen[0].operation is not OperationType.SUBSCRIPTION:
            return (
                "only subscriptions are served over websockets: send queries and mutations "
                "over HTTP",
                "BAD_REQUEST",
            )
        return None

    async def _refuse(self, operation_id: str, message: str, code: str) -> None:
        error = _error(message, code)
        await self.send_message(ErrorMessage(id=operation_id, type="error", payload=[error]))

    async def _ping_forever(self) -> None:
        interval = self.app.settings.subscription_ping_seconds
        while True:
            await asyncio.sleep(interval)
            if self._pong_owed:
                log.info("websocket closed: no pong within %s s", interval)
                await self.websocket.close(PONG_MISSED, "no pong to the last ping")
                return
            self._pong_owed = True
            await self.send_message({"type": "ping"})

    async def _recheck_forever(self) -> None:
        """End the connection's subscriptions when its credentials end: at the token's
        expiry, or at the first check that finds it (or the device's key) revoked."""
        settings = self.app.settings
        expires = _expiry_of(self.authorization)
        while True:
            wait = settings.subscription_recheck_seconds
            if expires is not None:
                wait = min(wait, expires - self.app.clock().timestamp())
            await asyncio.sleep(max(0.0, wait))
            try:
                async with asyncio.timeout(CREDENTIALS_SECONDS):
                    _, refused = await self.app.viewer(self.authorization, self.app.clock())
            except Exception:
                log.warning("credentials not checked again (the database?): kept until next time")
                continue
            if refused is not None:
                await self._end_all(refused)
                return

    async def _end_all(self, message: str) -> None:
        self.live.viewer, self.live.auth_error = ANONYMOUS, message
        ended = NextMessagePayload(data=None, errors=[_error(message, "UNAUTHENTICATED")])
        for operation_id, operation in list(self.operations.items()):
            if operation.task is not None:
                operation.task.cancel()
            with contextlib.suppress(Exception):
                await self.send_message(NextMessage(id=operation_id, type="next", payload=ended))
                await operation.send_operation_message({"id": operation_id, "type": "complete"})
        await self.websocket.close(CREDENTIALS_ENDED, bounded(message)[:120])


def _operation_key(operation: Operation[Context, None]) -> tuple[str, str, str | None]:
    """What an operation's result depends on besides its value and viewer's scope."""
    variables = orjson.dumps(operation.variables or {}, option=orjson.OPT_SORT_KEYS).decode()
    return operation.query, variables, operation.operation_name


def _error(message: str, code: str) -> GraphQLFormattedError:
    return {"message": message, "extensions": {"code": code}}


def _expiry_of(authorization: str | None) -> float | None:
    """A user token's expiry (seconds since the epoch); its signature was checked already."""
    if authorization is None:
        return None
    token = authorization.partition(" ")[2].strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"])
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        return None
