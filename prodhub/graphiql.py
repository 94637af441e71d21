"""GraphiQL without a CDN: Strawberry's page, pointed at assets this app serves itself, and
opening on an example of this API (how to sign in, where the token goes, a dashboard query)
rather than Strawberry's welcome text."""

from __future__ import annotations

import re
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


# What the editor shows first (a document of this API: both operations run as they stand).
# GraphiQL is served outside production only, where the demo's sign-ins work.
EXAMPLE = """\
# Productivity Hub. Sign in first: run SignIn (the run button asks which operation).
# The demo's sign-ins are admin@demo.example, manager@demo.example or employee@demo.example,
# all with the password demo-password (only in development: GraphiQL is off in production,
# and the demo's password is refused there).
#
# Then put the token it answers in the Headers tab below, as
#   {"Authorization": "Bearer <token>"}
# and run Dashboard: today's numbers of the employees you may see (an admin all of them, a
# manager their teams', an employee their own). Ctrl-Space completes, Ctrl-Enter runs.

mutation SignIn {
  login(email: "admin@demo.example", password: "demo-password") {
    token
    errors { code message }
  }
}

query Dashboard {
  employees(first: 10) {
    edges { node {
      name
      team { name }
      score { pointsEarned productivity idleMinutes }
      activityBreakdown { role { key } items points }
      isClockedIn
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# Strawberry's page keeps its welcome text in this JavaScript template literal.
_WELCOME = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)


def local_graphiql_html() -> str:
    html = get_graphql_ide_html("graphiql")
    for url, name in LOCAL_COPIES.items():
        html = html.replace(url, f"{ASSETS_PATH}/{name}")
    html, replaced = _WELCOME.subn(lambda _: f"const EXAMPLE_QUERY = `{EXAMPLE}`;", html)
    if replaced != 1:
        raise RuntimeError("Strawberry's GraphiQL page no longer has the example to replace")
    return html
