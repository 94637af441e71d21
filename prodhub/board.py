"""The floor screen: ``GET /board``, one team's live leaderboard, large enough to read from
across a room. A static page and its script (no build step, nothing from elsewhere), which
speaks graphql-transport-ws to ``/graphql`` itself, signed in with a DISPLAY key read from the
address's fragment (``/board#key=phk_…``): a fragment never reaches the server, its logs or a
proxy's. Served in production too (screens are), with a policy that lets the page load its own
two files and open its own websocket, and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "board"
PAGE_PATH = "/board"

# The page's own script and style sheet, its own websocket ('self' covers ws: and wss: of the
# same host); no inline code, no eval, no frames, no forms, nothing written as HTML
# (Trusted Types with no policy: the script sets text only).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), usb=(), payment=()",
    # small files, asked again on each load: a new version is never mixed with an old one
    "cache-control": "no-cache",
}


def integrity(body: bytes) -> str:
    """The page's ``integrity`` attribute of an asset: the browser refuses other bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def board_routes() -> list[BaseRoute]:
    """The page and its two assets, read once."""
    script = (ASSETS_DIR / "board.js").read_bytes()
    style = (ASSETS_DIR / "board.css").read_bytes()
    page = (
        (ASSETS_DIR / "board.html")
        .read_text(encoding="utf-8")
        .replace("{{js_integrity}}", integrity(script))
        .replace("{{css_integrity}}", integrity(style))
        .encode()
    )
    return [
        Route(PAGE_PATH, _serve(page, "text/html; charset=utf-8"), methods=["GET"]),
        Route(f"{PAGE_PATH}/board.js", _serve(script, "text/javascript; charset=utf-8")),
        Route(f"{PAGE_PATH}/board.css", _serve(style, "text/css; charset=utf-8")),
    ]


def _serve(body: bytes, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        return Response(body, media_type=media_type, headers=HEADERS)

    return endpoint
