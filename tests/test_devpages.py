"""Issue 18 items 3, 4 and 7 over HTTP: the landing page at `/`, the mail outbox (development only), the
/docs bar saying where sign-in codes go, and the REST try-it console served from vendored assets."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.test_production_profile import PRODUCTION
from yourmusic.app import create_app
from yourmusic.settings import Settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_landing_page_json_links_every_developer_page(http):
    r = await http.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["name"] == "YourMusic API" and body["version"]
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert {"graphiql": "/graphql", "docs": "/docs", "try-it": "/docs/try", "openapi": "/openapi.json",
            "healthz": "/healthz", "readyz": "/readyz", "mail-outbox": "/_dev/outbox"}.items() <= links.items()
    for href in links.values():  # every link answers (no dead link on the page)
        page = await http.get(href, headers=BROWSER)
        assert page.status_code in (200, 503), (href, page.status_code)  # readyz may be 503 without Redis


async def test_landing_page_is_html_for_a_browser(http):
    r = await http.get("/", headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for href in ("/graphql", "/docs", "/docs/try", "/openapi.json", "/healthz", "/readyz", "/_dev/outbox"):
        assert f'href="{href}"' in r.text
    # curl's */* and an explicit JSON preference get JSON.
    assert (await http.get("/", headers={"Accept": "application/json, text/html"})).json()["links"]


async def test_embedded_default_links_the_sandbox_pages(app_with):
    http = app_with(aggregator_url="sandbox", streaming_url="sandbox", stripe_api_base="sandbox")
    links = {link["rel"]: link["href"] for link in (await http.get("/")).json()["links"]}
    assert links["sandbox-aggregator-stats"] == "/_sandbox/aggregator/_sandbox/stats"
    assert links["sandbox-streaming-stats"] == "/_sandbox/streaming/_sandbox/stats"
    assert links["sandbox-stripe-events"] == "/_sandbox/stripe/_sandbox/events"
    for rel in ("sandbox-aggregator-stats", "sandbox-aggregator-plays", "sandbox-streaming-stats",
                "sandbox-stripe-events"):
        assert (await http.get(links[rel])).status_code == 200, rel


async def test_production_has_no_outbox_and_no_sandbox_links():
    app = create_app(Settings(**PRODUCTION))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        links = {link["rel"] for link in (await http.get("/")).json()["links"]}
        assert not {rel for rel in links if rel.startswith("sandbox") or rel == "mail-outbox"}
        assert "graphiql" not in links and "graphql" in links  # GraphiQL is off in production
        assert (await http.get("/_dev/outbox")).status_code == 404
        docs = (await http.get("/docs")).text
        assert "/_dev/outbox" not in docs and "server log" in docs


async def test_smtp_means_no_outbox(app_with, mailbox):
    http = app_with(smtp_url=mailbox.url)
    assert "mail-outbox" not in {link["rel"] for link in (await http.get("/")).json()["links"]}
    assert (await http.get("/_dev/outbox")).status_code == 404
    assert "mailed over SMTP" in (await http.get("/docs")).text


async def test_outbox_lists_the_code_and_the_code_signs_in(api, http, use_container):
    container = use_container(smtp_url=None)  # the embedded default: mail to the log sender
    tenant = await api.new_tenant()
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    r = await http.post("/api/auth/otp/request", json={"tenant": tenant.slug, "email": email})
    assert r.status_code == 200, r.text
    assert await container.mail.drain(timeout=10)

    listed = await http.get("/_dev/outbox")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    mail = next(m for m in listed.json()["mails"] if m["to"] == email)
    assert re.fullmatch(r"\d{6}", mail["code"]) and mail["code"] in mail["text"]
    page = await http.get("/_dev/outbox", headers=BROWSER)
    assert page.headers["content-type"].startswith("text/html") and mail["code"] in page.text

    signed_in = await http.post("/api/auth/otp/authenticate", json={
        "tenant": tenant.slug, "email": email, "code": mail["code"], "device_id": str(uuid.uuid4())})
    assert signed_in.status_code in (200, 201), (signed_in.text, mail)


async def test_docs_says_where_codes_go_and_links_the_console(http):
    docs = await http.get("/docs")
    assert docs.status_code == 200
    assert 'href="/_dev/outbox"' in docs.text and "server log" in docs.text
    assert 'href="/docs/try"' in docs.text


async def test_try_it_console_is_served_from_vendored_assets(http):
    page = await http.get("/docs/try")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any("swagger-ui-bundle.js" in a for a in assets) and any("swagger-ui.css" in a for a in assets)
    for asset in assets:
        r = await http.get(asset)
        assert r.status_code == 200 and "immutable" in r.headers["cache-control"], asset
    init = (await http.get(next(a for a in assets if "init.js" in a))).text
    assert "validatorUrl: null" in init  # Swagger UI's default validator is a call to swagger.io
    assert '"specUrl": "/openapi.json"' in page.text


@pytest.mark.parametrize("accept", ["*/*", "application/json"])
async def test_outbox_json_for_clients(http, accept):
    r = await http.get("/_dev/outbox", headers={"Accept": accept})
    assert r.status_code == 200 and isinstance(r.json()["mails"], list)


def test_the_code_is_the_line_of_its_own_not_a_number_in_a_sentence():
    from datetime import datetime, timezone

    from yourmusic.integrations.mail import MailMessage, render_otp_email
    from yourmusic.integrations.mail.sender import SentMail
    from yourmusic.outbox import mail_entry

    for locale in ("en", "nl", "fr"):
        subject, text, html = render_otp_email(locale, "042137", "Label 123456 Records", 10)
        message = MailMessage(to="a@example.com", subject=subject, text=text, html=html, from_addr="n@example.com")
        assert mail_entry(SentMail(datetime.now(timezone.utc), message))["code"] == "042137"
