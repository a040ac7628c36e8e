"""JSON operations read JSON only (issue 15 class 9): every REST operation with a body, from the route
table, refuses text/plain, forms, multipart and a body without a content type with 415 in the contract's
shape, before anything is read or written; `application/json; charset=utf-8` is accepted. Only the token
endpoint (RFC 6749 §4.4.2) also reads forms.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api import Passwordless, bearer
from tests.dbstate import row_counts
from yourmusic.rest_compat.core import BODY_METHODS, FORM, JSON
from yourmusic.rest_compat.routes import OPERATIONS

BODY_OPERATIONS = [(method, op) for op in OPERATIONS if op.body is not None
                   for method in op.methods if method in BODY_METHODS]
JSON_BODY = b'{"tenant": "demo", "email": "victim@example.com", "first_name": "X"}'
REFUSED = [
    ("text/plain", JSON_BODY),  # what a cross-site <form enctype="text/plain"> or a no-preflight fetch sends
    ("text/plain;charset=UTF-8", JSON_BODY),
    ("application/x-www-form-urlencoded", b"tenant=demo&email=victim%40example.com"),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--xyz--\r\n'),
    (None, JSON_BODY),  # a body with no content type at all
    ("application/json; charset=iso-8859-1", JSON_BODY),  # JSON is UTF-8 (RFC 8259 §8.1)
    ("application/jsonx", JSON_BODY),
]


def _path(template: str) -> str:
    return re.sub(r"{\w+}", lambda m: str(uuid.uuid4()) if m.group(0) != "{product}" else "some-product", template)


def _ids(case: tuple) -> str:
    return f"{case[0]} {case[1].path}"


def test_the_walk_covers_every_json_write():
    paths = {op.path for _, op in BODY_OPERATIONS}
    assert {"/api/auth/otp/request", "/api/users", "/api/playlists", "/api/oauth/token", "/api/webhooks/stripe",
            "/api/me", "/api/playlists/{playlist_id}/tracks"} <= paths
    assert len(BODY_OPERATIONS) >= 20


@pytest.mark.parametrize("method,op", BODY_OPERATIONS, ids=[_ids(c) for c in BODY_OPERATIONS])
async def test_every_operation_refuses_bodies_that_are_not_json(api, tenant, method, op):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    headers = bearer(udt) if op.auth == ("UDT",) else tenant.auth if op.auth else {}
    before = await row_counts()
    for content_type, body in REFUSED:
        if content_type and content_type.split(";")[0] in op.consumes and "charset" not in content_type:
            continue  # the token endpoint reads forms
        h = {**headers, **({"Content-Type": content_type} if content_type else {})}
        r = await api.http.request(method, _path(op.path), content=body, headers=h)
        assert r.status_code == 415, (content_type, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json"
        if op.oauth:
            assert r.json()["error"] == "invalid_request" and "application/json" in r.json()["error_description"]
        else:
            assert r.json() == {"message": "The request body must be sent as application/json (UTF-8).",
                                "code": "UNSUPPORTED_MEDIA_TYPE"}
    assert await row_counts() == before

    # JSON with or without a charset is read (whatever the handler then answers, it is not a 415).
    for content_type in (JSON, "application/json; charset=utf-8", 'Application/JSON;Charset="UTF-8"'):
        r = await api.http.request(method, _path(op.path), content=b"{}", headers={**headers, "Content-Type": content_type})
        assert r.status_code != 415, (content_type, r.text)


@pytest.mark.parametrize("method,op", BODY_OPERATIONS, ids=[_ids(c) for c in BODY_OPERATIONS])
def test_openapi_documents_the_415(method, op):
    from yourmusic.rest_compat.openapi import build_openapi

    doc = build_openapi(OPERATIONS)["paths"][op.path][method.lower()]
    assert set(doc["requestBody"]["content"]) == set(op.consumes)
    assert "415" in doc["responses"]


async def test_a_cross_site_text_plain_otp_request_sends_no_mail(signin: Passwordless, api, tenant):
    user = await api.create_user(tenant)
    body = f'{{"tenant": "{tenant.slug}", "email": "{user["email"]}"}}'.encode()
    r = await signin.http.post("/api/auth/otp/request", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert await signin.container.mail.drain(timeout=5)
    assert signin.mailbox.to(user["email"]) == []
    # The same body as JSON does send the code.
    r = await signin.http.post("/api/auth/otp/request", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert (await signin.delivered(user["email"])).code


async def test_an_empty_body_needs_no_content_type(api, tenant):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    r = await api.http.patch("/api/me", headers=bearer(udt))  # an empty PATCH is a no-op
    assert r.status_code == 200 and r.json()["id"] == user["id"]


async def test_the_token_endpoint_reads_forms(api, tenant):
    r = await api.http.post("/api/oauth/token", headers={"Content-Type": FORM},
                            content=f"grant_type=client_credentials&client_id={tenant.client_id}"
                                    f"&client_secret={tenant.client_secret}".encode())
    assert r.status_code == 200, r.text
