"""The landing page at `/` and the other developer pages' routes (`/docs`, `/docs/try`, `/_dev/outbox`).

`/` answers HTML to a browser and JSON to anything else (`{"name", "version", "links": [{"rel", "href",
"title"}]}`), linking GraphiQL, the REST reference and console, the OpenAPI document and the probes; on the
embedded default (any profile but production) also the sandboxes' pages and, while mail goes to the log,
the mail outbox. `yourmusic serve` prints the same links (`startup_lines`) when it starts.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from yourmusic.container import SANDBOX, SANDBOX_AGGREGATOR_PATH, SANDBOX_STREAMING_PATH, SANDBOX_STRIPE_PATH
from yourmusic.outbox import OUTBOX_PATH, outbox_enabled, outbox_page
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.settings import Settings
from yourmusic.webui import DOCS_PATH, TRY_IT_PATH, docs_html, try_it_html, wants_html


@dataclass(frozen=True, slots=True)
class Link:
    """One developer page: `rel` names it in the JSON answer, `href` is a path on this server."""

    rel: str
    href: str
    title: str
    section: str  # "Explore", "Operate" or "Development only"


def developer_links(settings: Settings) -> list[Link]:
    """Every page the landing page links, in its order; the sandboxes and the outbox only in development."""
    links = [
        Link("graphiql" if settings.graphiql else "graphql", "/graphql",
             "GraphiQL: the GraphQL schema's docs and examples" if settings.graphiql
             else "GraphQL endpoint (POST)", "Explore"),
        Link("docs", DOCS_PATH, "REST reference (Redoc)", "Explore"),
        Link("try-it", TRY_IT_PATH, "REST console: try the API from the browser (Swagger UI)", "Explore"),
        Link("openapi", "/openapi.json", "OpenAPI 3.1 document", "Explore"),
        Link("healthz", "/healthz", "Liveness probe", "Operate"),
        Link("readyz", "/readyz", "Readiness probe (database, cache)", "Operate"),
    ]
    if settings.metrics_enabled:
        links.append(Link("metrics", "/metrics", "Prometheus metrics", "Operate"))
    if settings.production:
        return links
    dev = "Development only"
    if outbox_enabled(settings):
        links.append(Link("mail-outbox", OUTBOX_PATH, "Mail outbox: sent mails with their sign-in codes", dev))
    if settings.aggregator_url == SANDBOX:
        links.append(Link("sandbox-aggregator-stats", f"{SANDBOX_AGGREGATOR_PATH}/_sandbox/stats",
                          "Catalog sandbox: calls received", dev))
        links.append(Link("sandbox-aggregator-plays", f"{SANDBOX_AGGREGATOR_PATH}/_sandbox/plays",
                          "Catalog sandbox: reported plays", dev))
    if settings.streaming_url == SANDBOX:
        links.append(Link("sandbox-streaming-stats", f"{SANDBOX_STREAMING_PATH}/_sandbox/stats",
                          "Streaming sandbox: calls received", dev))
    if settings.stripe_api_base == SANDBOX:
        links.append(Link("sandbox-stripe-events", f"{SANDBOX_STRIPE_PATH}/_sandbox/events",
                          "Stripe sandbox: webhook events sent", dev))
    return links


def startup_lines(settings: Settings, base_url: str) -> list[str]:
    """What `serve` prints when it starts: each linked page as a full URL, one per line."""
    base = base_url.rstrip("/")
    width = max(len(link.rel) for link in developer_links(settings))
    return [f"YourMusic API on {base}/"] + [
        f"  {link.rel:<{width}}  {base}{link.href}" for link in developer_links(settings)
    ]


def mail_note(settings: Settings) -> str:
    """Where sign-in codes go, as one HTML sentence for the /docs bar."""
    if settings.smtp_configured:
        return "Sign-in codes (<code>POST /api/auth/otp/request</code>) are mailed over SMTP."
    if outbox_enabled(settings):
        return ("Sign-in codes (<code>POST /api/auth/otp/request</code>) are not mailed here: they go to the "
                f'server log and the <a href="{OUTBOX_PATH}">mail outbox</a>.')
    return "Sign-in codes (<code>POST /api/auth/otp/request</code>) go to the server log (no SMTP_URL)."


def _landing_html(title: str, links: list[Link]) -> str:
    sections: dict[str, list[Link]] = {}
    for link in links:
        sections.setdefault(link.section, []).append(link)
    body = "".join(
        f"<h2>{html.escape(section)}</h2><ul>" + "".join(
            f'<li><a href="{html.escape(link.href, quote=True)}">{html.escape(link.href)}</a> '
            f"{html.escape(link.title)}</li>" for link in items) + "</ul>"
        for section, items in sections.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><link rel="icon" href="data:,">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2.5rem auto; max-width: 760px; padding: 0 1rem; color: #1d2330; }}
h1 {{ margin-bottom: .2rem; }} h2 {{ font-size: 1.05rem; margin-top: 1.6rem; color: #556; }}
ul {{ padding-left: 1.1rem; }} li {{ margin: .3rem 0; }} a {{ font-family: ui-monospace, monospace; margin-right: .5rem; }}
p {{ color: #445; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>A multi-tenant music-streaming backend: GraphQL for front-ends, the documented REST paths for legacy
clients. Most calls need a token: a client token from <code>POST /api/oauth/token</code>, or a user token.</p>
{body}
</body></html>"""


def developer_routes(settings: Settings, name: str, version: str) -> list[BaseRoute]:
    """`/`, `/docs`, `/docs/try` and, in development with mail to the log, `/_dev/outbox`; `name` and
    `version` are the OpenAPI document's (info.title, info.version)."""
    title = f"{name} {version}"
    links = developer_links(settings)
    landing_html = _landing_html(title, links)
    landing_json = {"name": name, "version": version,
                    "links": [{k: v for k, v in asdict(link).items() if k != "section"} for link in links]}
    docs = docs_html(title, mail_note=mail_note(settings), graphiql=bool(settings.graphiql))
    try_it = try_it_html(title, graphiql=bool(settings.graphiql))

    async def landing(request: Request) -> Response:
        if wants_html(request):
            return HTMLResponse(landing_html)
        return JSONResponse(landing_json)

    async def docs_page(request: Request) -> Response:
        return HTMLResponse(docs)

    async def try_it_page(request: Request) -> Response:
        return HTMLResponse(try_it)

    routes: list[BaseRoute] = [
        Route("/", landing, methods=["GET"]),
        Route(DOCS_PATH, docs_page, methods=["GET"]),
        Route(TRY_IT_PATH, try_it_page, methods=["GET"]),
    ]
    if outbox_enabled(settings):
        routes.append(Route(OUTBOX_PATH, outbox_page, methods=["GET"]))
    return routes
