"""GraphiQL without a CDN: Strawberry's page, pointed at assets this app serves itself."""

from __future__ import annotations

from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"

# The URLs in Strawberry's page and the vendored file that replaces each.
UNPKG = "https://unpkg.com"
LOCAL_COPIES = {
    f"{UNPKG}/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    f"{UNPKG}/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    f"{UNPKG}/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    f"{UNPKG}/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    f"{UNPKG}/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    f"{UNPKG}/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    f"{UNPKG}/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}  # fmt: skip


def local_graphiql_html() -> str:
    html = get_graphql_ide_html("graphiql")
    for url, name in LOCAL_COPIES.items():
        html = html.replace(url, f"{ASSETS_PATH}/{name}")
    return html
