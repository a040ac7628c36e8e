"""RFC 6749 on the token endpoint (issue 15 class 3): a parameter given twice and two client
authentication methods at once are 400 `invalid_request`, never a token; and RFC 6750 §3's
`WWW-Authenticate: Bearer` on every bearer-protected REST route's 401 (issue 16 item 6).
"""

from __future__ import annotations

import uuid

import pytest

from tests.api import bearer
from yourmusic.rest_compat.core import FORM
from yourmusic.rest_compat.routes import OPERATIONS


def _form(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode()


REPEATS = [
    [("grant_type", "password"), ("grant_type", "client_credentials")],
    [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
    [("grant_type", "client_credentials"), ("client_id", "{id}"), ("client_id", "{id}")],
    [("grant_type", "client_credentials"), ("client_secret", "{secret}"), ("client_secret", "wrong")],
    [("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")],
]


@pytest.mark.parametrize("pairs", REPEATS, ids=lambda p: "+".join(k for k, _ in p))
@pytest.mark.parametrize("as_", ["form", "json"])
async def test_a_repeated_parameter_is_invalid_request(api, tenant, pairs, as_):
    creds = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    filled = [(k, v.format(id=tenant.client_id, secret=tenant.client_secret)) for k, v in pairs]
    names = {k for k, _ in filled}
    filled += [(k, v) for k, v in creds.items() if k not in names]
    if as_ == "form":
        body, content_type = _form(filled), FORM
    else:
        body = ("{" + ", ".join(f'"{k}": "{v}"' for k, v in filled) + "}").encode()  # duplicate keys, as sent
        content_type = "application/json"
    r = await api.http.post("/api/oauth/token", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 400, r.text
    repeated = next(k for k, _ in pairs if [p[0] for p in pairs].count(k) > 1)
    assert r.json() == {"error": "invalid_request",
                        "error_description": f"The {repeated} parameter must not be repeated."}
    assert "access_token" not in r.text


@pytest.mark.parametrize("as_", ["form", "json"])
async def test_basic_and_a_body_secret_is_invalid_request(api, tenant, as_):
    body = {"grant_type": "client_credentials", "client_secret": tenant.client_secret}
    for secret_in_basic in (tenant.client_secret, "wrong"):  # the body was ignored before: no longer
        kw = {"data": body} if as_ == "form" else {"json": body}
        r = await api.http.post("/api/oauth/token", auth=(tenant.client_id, secret_in_basic), **kw)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_request" and "one client authentication method" in r.json()["error_description"]
    # A body client_id naming another client than Basic's is refused too; the same one is harmless.
    kw = {"data" if as_ == "form" else "json": {"grant_type": "client_credentials", "client_id": "ym_other"}}
    r = await api.http.post("/api/oauth/token", auth=(tenant.client_id, tenant.client_secret), **kw)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    for same in ({"client_id": tenant.client_id}, {"client_secret": ""}):
        kw = {"data" if as_ == "form" else "json": {"grant_type": "client_credentials", **same}}
        r = await api.http.post("/api/oauth/token", auth=(tenant.client_id, tenant.client_secret), **kw)
        assert r.status_code == 200, r.text


async def test_the_token_endpoint_401_is_basic_not_bearer(api, tenant):
    r = await api.http.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(tenant.client_id, "wrong"))
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm="yourmusic"'


VALID_BODIES = {"setCorsOrigins": {"origins": []}}
BEARER_ROUTES = [(m, op) for op in OPERATIONS if op.auth for m in op.methods]


@pytest.mark.parametrize("method,op", BEARER_ROUTES, ids=[f"{m} {op.path}" for m, op in BEARER_ROUTES])
async def test_every_bearer_route_challenges_on_401(api, method, op):
    path = op.path.replace("{product}", "p")
    import re

    path = re.sub(r"{\w+}", str(uuid.uuid4()), path)
    # setCorsOrigins reads its body before the token (a 422 before the 401): give it a valid one.
    kw = {"json": VALID_BODIES.get(op.operation_id, {})} if op.body is not None and method != "GET" else {}
    bad = await api.http.request(method, path, headers=bearer("not.a.token"), **kw)
    assert bad.status_code == 401, bad.text
    assert bad.headers["www-authenticate"] == 'Bearer realm="yourmusic", error="invalid_token"'
    if not op.auth_optional:
        missing = await api.http.request(method, path, **kw)
        assert missing.status_code == 401 and missing.json()["code"] == "UNAUTHENTICATED"
        assert missing.headers["www-authenticate"] == 'Bearer realm="yourmusic"'


async def test_a_refused_refresh_token_is_no_bearer_challenge(api):
    r = await api.http.post("/api/auth/refresh", json={"refresh_token": "ymr_nothing"})
    assert r.status_code == 401 and "www-authenticate" not in r.headers
