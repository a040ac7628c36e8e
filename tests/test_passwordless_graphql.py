"""The passwordless flow through GraphQL (the twins of #10-#16), codes read from the SMTP server,
and the same answers as REST for the same cases."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.api import Passwordless, gql_codes, spent_long_ago

USER = "id firstName lastName email dateOfBirth status"
SESSION = f"tokenType accessToken expiresIn refreshToken refreshExpiresIn user {{ {USER} }}"

REQUEST = "mutation($t: String!, $e: String!, $l: String){ requestEmailOtp(tenant: $t, email: $e, locale: $l){ message } }"
AUTHENTICATE = f"""mutation($t: String!, $e: String!, $c: String!, $d: ID!){{
  authenticateWithEmailOtp(tenant: $t, email: $e, code: $c, deviceId: $d){{
    __typename
    ... on Session {{ {SESSION} }}
    ... on OnboardingRequired {{ onboardingToken onboardingExpiresIn email }}
  }}
}}"""
SIGNUP = f"mutation($i: SignupInput!){{ signup(input: $i){{ {SESSION} }} }}"
REFRESH = f"mutation($r: String!){{ refreshSession(refreshToken: $r){{ {SESSION} }} }}"
LOGOUT = "mutation($r: String!){ logout(refreshToken: $r) }"
ME = f"{{ me {{ {USER} }} }}"
UPDATE_ME = f"mutation($i: UpdateMeInput!){{ updateMe(input: $i){{ {USER} }} }}"


def new_email() -> str:
    return f"gql-{uuid.uuid4().hex[:10]}@example.com"


async def _code(api, signin: Passwordless, tenant, email: str, locale: str | None = None) -> str:
    result = await api.gql(REQUEST, {"t": tenant.slug, "e": email, "l": locale})
    assert result["data"]["requestEmailOtp"] == {
        "message": "If that email address is valid, a verification code has been sent."}
    return await signin.code(email)


async def test_whole_flow_through_graphql(api, tenant, app, use_container, mailbox):
    signin = Passwordless(api.http, use_container(otp_send_interval=1), mailbox)
    email = new_email()
    code = await _code(api, signin, tenant, email, "nl")
    assert (await signin.delivered(email)).message["Subject"].startswith("Je inlogcode voor")

    device = str(uuid.uuid4())
    result = await api.gql(AUTHENTICATE, {"t": tenant.slug, "e": email, "c": code, "d": device})
    onboarding = result["data"]["authenticateWithEmailOtp"]
    assert onboarding["__typename"] == "OnboardingRequired"
    assert onboarding["onboardingExpiresIn"] == 900 and onboarding["email"] == email

    signup = {"onboardingToken": onboarding["onboardingToken"], "firstName": "Grace", "lastName": "Hopper",
              "dateOfBirth": "1986-12-09"}
    session = (await api.gql(SIGNUP, {"i": signup}))["data"]["signup"]
    assert (session["tokenType"], session["expiresIn"], session["refreshExpiresIn"]) == ("Bearer", 3600, 2592000)
    assert session["user"]["firstName"] == "Grace" and session["user"]["email"] == email
    assert str(app.state.container.tokens.verify(session["accessToken"]).device_id) == device

    me = (await api.gql(ME, token=session["accessToken"]))["data"]["me"]
    assert me == session["user"]
    updated = (await api.gql(UPDATE_ME, {"i": {"lastName": "Murray Hopper"}}, session["accessToken"]))["data"]
    assert updated["updateMe"]["lastName"] == "Murray Hopper" and updated["updateMe"]["firstName"] == "Grace"

    rotated = (await api.gql(REFRESH, {"r": session["refreshToken"]}))["data"]["refreshSession"]
    assert rotated["refreshToken"] != session["refreshToken"] and rotated["user"]["id"] == me["id"]
    await spent_long_ago(session["refreshToken"])  # past the reuse interval
    reused = await api.gql(REFRESH, {"r": session["refreshToken"]})
    assert gql_codes(reused) == ["INVALID_AUTH_TOKEN"]
    assert gql_codes(await api.gql(ME, token=rotated["accessToken"])) == ["INVALID_AUTH_TOKEN"]

    # A known address now signs in straight to a session (once the address's interval is over).
    assert gql_codes(await api.gql(REQUEST, {"t": tenant.slug, "e": email})) == ["RATE_LIMITED"]
    await asyncio.sleep(1.1)
    code = await _code(api, signin, tenant, email)
    result = await api.gql(AUTHENTICATE, {"t": tenant.slug, "e": email, "c": code, "d": device})
    known = result["data"]["authenticateWithEmailOtp"]
    assert known["__typename"] == "Session" and known["user"]["id"] == me["id"]
    assert (await api.gql(LOGOUT, {"r": known["refreshToken"]}))["data"]["logout"] is True
    assert gql_codes(await api.gql(ME, token=known["accessToken"])) == ["INVALID_AUTH_TOKEN"]


async def test_errors_match_rest(api, signin: Passwordless, tenant):
    email = new_email()
    code = await _code(api, signin, tenant, email)
    wrong = "000000" if code != "000000" else "111111"

    gql = await api.gql(AUTHENTICATE, {"t": tenant.slug, "e": email, "c": wrong, "d": str(uuid.uuid4())})
    rest = await signin.authenticate(tenant.slug, email, wrong)
    assert gql_codes(gql) == [rest.json()["code"]] == ["INVALID_AUTH_TOKEN"]
    assert gql["errors"][0]["message"] == rest.json()["message"]

    gql = await api.gql(AUTHENTICATE, {"t": tenant.slug, "e": "nope", "c": code, "d": "not-a-uuid"})
    rest = await signin.http.post("/api/auth/otp/authenticate",
                                  json={"tenant": tenant.slug, "email": "nope", "code": code, "device_id": "not-a-uuid"})
    assert gql["errors"][0]["extensions"] == {"code": "VALIDATION_FAILED", "errors": rest.json()["errors"]}
    assert set(rest.json()["errors"]) == {"email", "device_id"}

    gql = await api.gql(REQUEST, {"t": tenant.slug, "e": email, "l": "de"})
    assert gql["errors"][0]["extensions"]["errors"] == {"locale": ["The selected locale is invalid."]}

    assert gql_codes(await api.gql(REFRESH, {"r": "garbage"})) == ["INVALID_AUTH_TOKEN"]
    assert (await api.gql(LOGOUT, {"r": "garbage"}))["data"]["logout"] is True
    signup = {"onboardingToken": "garbage", "firstName": "A", "lastName": "B", "dateOfBirth": "1990-01-01"}
    assert gql_codes(await api.gql(SIGNUP, {"i": signup})) == ["INVALID_AUTH_TOKEN"]
    assert gql_codes(await api.gql(SIGNUP, {"i": {**signup, "dateOfBirth": "soon"}})) == ["VALIDATION_FAILED"]


@pytest.mark.parametrize("token_kind,code", [("none", "UNAUTHENTICATED"), ("client", "FORBIDDEN"),
                                             ("garbage", "INVALID_AUTH_TOKEN")])
async def test_me_needs_a_user_token(api, tenant, token_kind, code):
    token = {"none": None, "client": tenant.token, "garbage": "not.a.token"}[token_kind]
    assert gql_codes(await api.gql(ME, token=token)) == [code]
    assert gql_codes(await api.gql(UPDATE_ME, {"i": {"firstName": "X"}}, token)) == [code]
