"""What a GraphQL request is, read before the GraphQL pipeline: its document (Apollo's
automatic persisted queries resolved), operation and variables, and how its answer may be
cached by browsers and CDNs.

Apollo's protocol: ``extensions.persistedQuery = {version: 1, sha256Hash}``. The hash alone
names a document registered before (``PERSISTED_QUERY_NOT_FOUND`` when it is not, and the
client sends it again with the document); a document sent with its hash is checked against it
before it is kept. GET requests carry the same fields as JSON in their parameters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from cache import Lookup, Policy, entries
from cache.compression import Coding
from cache.persisted import PersistedQueries, sha256_hex
from services.authentication import ANONYMOUS, Viewer

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_DOCUMENT_BYTES = 20_000  # characters; a dashboard's largest query is under 2,000
WS_MAX_MESSAGE_BYTES = 64 * 1024  # a websocket message: a subscribe's document and variables
CACHE_HEADER = "x-prodhub-cache"  # hit | miss; absent when the request was not cacheable
ROUTED = "prodhub.routed"  # the scope key of the front door's ``Routed`` (prodhub.cache_front)


@dataclass
class Routed:
    """Between the cache's front door and the GraphQL view: what the front door found under
    the key it knew for the request (the view uses it rather than ask again), and the key the
    view computed (the front door remembers it for the next identical request)."""

    lookup: Lookup | None = None
    key: str | None = None


@dataclass
class Prepared:
    """A request as read before the GraphQL pipeline: its document (a persisted one filled
    in), its viewer, and what the cache said."""

    data: dict[str, Any] | None  # the decoded body (or GET parameters)
    query: str | None
    register: str | None  # the hash a document came with: kept once it validates
    operation_name: str | None
    variables: dict[str, Any] | None
    viewer: tuple[Viewer, str | None] = (ANONYMOUS, None)
    policy: Policy | None = None
    key: str | None = None
    lookup: Lookup | None = None
    hit: entries.Entry | None = None


def prepared_of(request: Any) -> Prepared | None:
    found = getattr(getattr(request, "request", None), "state", None)
    prepared = getattr(found, "prepared", None)
    return prepared if isinstance(prepared, Prepared) else None


def cache_control(max_age: int) -> dict[str, str]:
    """Every answer depends on who asks (what the credentials may see), so no shared cache may
    keep one: ``private`` for all, with ``Vary: Authorization`` for a browser whose user signs
    in as someone else. Many CDNs ignore ``Vary``; they keep no ``private`` response. (A
    policy's PRIVATE hint, per user rather than per scope, decides only how this server's
    cache keys the answer.)"""
    return {"cache-control": f"private, max-age={max_age}", "vary": "Authorization"}


async def send_hit(send: Send, entry: entries.Entry, now_ms: int, coding: Coding | None) -> None:
    """A cached response, as stored, with its age and cache policy: in ``coding`` (the one the
    client prefers, ``prodhub.compression.negotiate``) when the entry keeps it; then, and
    whenever the entry keeps any, with ``Vary: Accept-Encoding``."""
    age = max(0, (now_ms - entry.stored_at_ms) // 1000)
    body, sent = entry.sent(coding)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (_HIT_HEADER, b"hit"),
        (b"age", str(age).encode()),
        *_policy_headers(entry.max_age, bool(entry.encoded)),
    ]
    if sent is not None:
        headers.append((b"content-encoding", sent.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_HIT_HEADER = CACHE_HEADER.encode()


@lru_cache(maxsize=64)
def _policy_headers(max_age: int, encoded: bool) -> tuple[tuple[bytes, bytes], ...]:
    policy = cache_control(max_age)
    if encoded:
        policy["vary"] += ", Accept-Encoding"
    return tuple((name.encode(), value.encode()) for name, value in policy.items())


def query_params(request: Request) -> dict[str, Any]:
    """A GET request's operation (Apollo's and Strawberry's form: JSON in the parameters)."""
    params = request.query_params
    data: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
    }
    for name in ("variables", "extensions"):
        if name in params:
            try:
                data[name] = json.loads(params[name])
            except ValueError:
                raise HTTPException(400, f"`{name}` is not JSON") from None
    return data


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def graphql_error(message: str, code: str, *, status: int = 200) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


async def persisted_document(
    data: dict[str, Any], registry: PersistedQueries
) -> tuple[str | None, str | Response | None]:
    """The document, from the request or (Apollo's persisted queries) from the registry; the
    hash it was sent with, checked (to keep it once it validates: ``registrant_of``); or the
    error response of an unknown or mismatched hash."""
    query = data.get("query")
    extensions = data.get("extensions")
    wanted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if wanted is None:
        return (query if isinstance(query, str) else None), None
    digest = wanted.get("sha256Hash") if isinstance(wanted, dict) else None
    if (
        not isinstance(wanted, dict)
        or wanted.get("version") != 1
        or not (isinstance(digest, str) and SHA256_HEX.fullmatch(digest))
    ):
        return None, graphql_error(
            "persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
            "BAD_USER_INPUT",
            status=400,
        )
    if not isinstance(query, str):
        known = await registry.get(digest)
        if known is None:
            return None, graphql_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return known, None
    if sha256_hex(query) != digest:
        return None, graphql_error(
            "provided sha does not match query", "BAD_USER_INPUT", status=400
        )
    return query, (digest if len(query) <= MAX_DOCUMENT_BYTES else None)


def registrant_of(viewer: tuple[Viewer, str | None]) -> str | None:
    """Who adds a document to the registry, counted against its daily registrations: a
    signed-in user or a device; None for anyone else (an anonymous client could fill the
    registry with documents nobody will run)."""
    who, refused = viewer
    if refused is not None:
        return None
    if who.is_device:
        return f"key:{who.api_key_id}"
    return f"user:{who.user_id}" if who.is_authenticated else None
