"""The browser pages: GraphiQL at /graphql (on a browser GET), Redoc at /docs, Swagger UI at /docs/try.

Both are served entirely from this package (`yourmusic/static/`, vendored once from npm by
`scripts/vendor_assets.sh`): no CDN, so they work offline and on closed corporate networks. Asset URLs
carry a hash of the file's content (`?v=`), so `/static` answers with a year-long immutable cache.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
from pathlib import Path
from string import Template
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static"

# What GraphiQL opens with: one example of each kind of call a front-end makes. A test validates it
# against the schema, so it cannot rot.
DEFAULT_DOCUMENT = """\
# Welcome to the YourMusic GraphQL API.
#
# The docs of every type and field: the book icon on the left. Run an operation with the
# play button (or Ctrl-Enter) and pick one of the operations below.
#
# Most fields need a token: put it in the Headers tab below, replacing <token>:
#   - a client token (POST /api/oauth/token, or the issueClientToken mutation) for catalog and users,
#   - a user token (a UDT from POST /api/users/{id}/udt, or a session access token) for me and playlists,
#     and for the subscriptions (live updates over a WebSocket: the same Authorization header is sent in
#     its connection_init payload).

# Public: the server's clock.
query Heartbeat {
  heartbeat
}

# The catalog (a client token or a user token).
query SearchTracks($q: String! = "rock") {
  searchTracks(q: $q, pageSize: 10) {
    estimatedTotalItems
    results {
      id
      title
      duration
      artist { name }
      release { title image }
      streamId
    }
  }
}

# The caller's own profile (a user token).
query Me {
  me {
    id
    email
    firstName
    lastName
    status
    subscriptionEndsAt
  }
}

# The caller's playlists, then one with its tracks (a user token; put an id from MyPlaylists
# into the Variables tab: {"id": "..."}).
query MyPlaylists {
  myPlaylists { id name public trackCount }
}

query Playlist($id: ID!) {
  playlist(id: $id) {
    id
    name
    public
    tracks {
      order
      track { id title artist { name } }
    }
  }
}

# Live updates (a user token): run it and it stays open, showing the playlist now and again after each
# change, whoever makes it (REST or GraphQL, another device). It runs over a WebSocket on /graphql with
# the Headers tab's Authorization; the stop button ends it.
subscription PlaylistLive($id: ID!) {
  playlistChanged(id: $id) {
    id
    name
    public
    trackCount
    updatedAt
    tracks {
      order
      track { id title artist { name } }
    }
  }
}
"""

DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <token>"\n}'


@functools.cache
def asset_url(relative: str) -> str:
    """`/static/<relative>?v=<content hash>`: a new file is a new URL, so caches never serve a stale one."""
    digest = hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:16]
    return f"{STATIC_PREFIX}/{relative}?v={digest}"


def _json_for_script(value: Any) -> str:
    """JSON safe inside a <script> data block (no `</script>` can close it early)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.cache
def graphiql_html(endpoint: str = "/graphql") -> str:
    template = Template((STATIC_DIR / "graphiql.html").read_text(encoding="utf-8"))
    return template.substitute(
        graphiql_css=asset_url("graphiql/graphiql.min.css"),
        page_css=asset_url("graphiql/page.css"),
        react_js=asset_url("graphiql/react.production.min.js"),
        react_dom_js=asset_url("graphiql/react-dom.production.min.js"),
        graphiql_js=asset_url("graphiql/graphiql.min.js"),
        init_js=asset_url("graphiql/init.js"),
        config=_json_for_script(
            {"endpoint": endpoint, "defaultQuery": DEFAULT_DOCUMENT, "defaultHeaders": DEFAULT_HEADERS}
        ),
    )


DOCS_PATH = "/docs"
TRY_IT_PATH = "/docs/try"


def _nav_links(*links: tuple[str, str]) -> str:
    """The top bar's links (`(href, label)` pairs) as HTML."""
    return " ".join(f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>' for href, label in links)


@functools.cache
def docs_html(title: str, spec_url: str = "/openapi.json", *, mail_note: str = "", graphiql: bool = True) -> str:
    """The Redoc page over `spec_url`; its top bar links the console and GraphiQL and carries `mail_note`
    (where sign-in codes go, HTML)."""
    template = Template((STATIC_DIR / "docs.html").read_text(encoding="utf-8"))
    links = [(TRY_IT_PATH, "Try it (Swagger UI)"), *([("/graphql", "GraphiQL")] if graphiql else []),
             (spec_url, "openapi.json")]
    return template.substitute(
        title=html.escape(title),
        spec_url=html.escape(spec_url, quote=True),
        page_css=asset_url("redoc/page.css"),
        redoc_js=asset_url("redoc/redoc.standalone.js"),
        mail_note=mail_note,
        links=_nav_links(*links),
    )


@functools.cache
def try_it_html(title: str, spec_url: str = "/openapi.json", *, graphiql: bool = True) -> str:
    """The REST console: Swagger UI over `spec_url` ("Authorize" with a bearer token, "Try it out")."""
    template = Template((STATIC_DIR / "tryit.html").read_text(encoding="utf-8"))
    links = [(DOCS_PATH, "Reference (Redoc)"), *([("/graphql", "GraphiQL")] if graphiql else [])]
    return template.substitute(
        title=html.escape(title),
        spec_url=html.escape(spec_url, quote=True),
        swagger_css=asset_url("swagger-ui/swagger-ui.css"),
        page_css=asset_url("swagger-ui/page.css"),
        swagger_js=asset_url("swagger-ui/swagger-ui-bundle.js"),
        init_js=asset_url("swagger-ui/init.js"),
        config=_json_for_script({"specUrl": spec_url}),
        links=_nav_links(*links),
    )


def wants_html(request: Request) -> bool:
    """A browser's navigation (`Accept: text/html,...`) rather than a client asking for JSON: the
    first media type it names decides, so `Accept: application/json, text/html` gets JSON."""
    first = request.headers.get("accept", "").split(",")[0]
    return "text/html" in first


class _LongCache:
    """Adds `Cache-Control: public, max-age=31536000, immutable` to every successful answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = list(message.get("headers", []))
                headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cache)


def static_app() -> ASGIApp:
    """The vendored assets under /static: long-cached, gzipped for clients that accept it."""
    return GZipMiddleware(_LongCache(StaticFiles(directory=STATIC_DIR)), minimum_size=1024)
