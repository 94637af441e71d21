"""The GraphQL endpoint's JSON: request bodies decoded strictly, responses encoded fast and
bounded in size."""

from __future__ import annotations

import json
import logging
import re

import orjson
from cross_web import HTTPException

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 16 << 20
# Valid UTF-8 holds no surrogate; in JSON text only such an escape can write one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def encode_response(data: object) -> str:
    """The response, unless it is over ``MAX_RESPONSE_BYTES``: then an error in its place
    (the cost limit keeps this rare; this is the last bound, on what goes out). Text, not
    bytes: a websocket would send bytes as binary frames."""
    encoded = orjson.dumps(data).decode()  # compact; many times the standard library's speed
    if len(encoded) <= MAX_RESPONSE_BYTES:
        return encoded
    log.warning("response of %d characters not sent", len(encoded))
    too_large = {
        "message": f"the response is over {MAX_RESPONSE_BYTES:,} bytes: ask for less",
        "extensions": {"code": "RESPONSE_TOO_LARGE"},
    }
    return json.dumps({"data": None, "errors": [too_large]}, separators=(",", ":"))


def decode_body(data: str | bytes) -> object:
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
