"""#10-#14 passwordless sign-in over REST, reading every code from a real SMTP server.

The flow end to end, no enumeration, mail off the request path, codes (wrong, expired, reused,
superseded, spent), onboarding, refresh rotation with reuse detection, logout, tenant isolation.
Rate limits are in test_passwordless_limits.py, GraphQL in test_passwordless_graphql.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.api import Passwordless, bearer, spent_long_ago
from yourmusic.models import EmailOtp, OnboardingToken, RefreshFamily, RefreshToken, User
from yourmusic.security.secrets import digest

MESSAGE = {"message": "If that email address is valid, a verification code has been sent."}
SESSION_KEYS = {"token_type", "access_token", "expires_in", "refresh_token", "refresh_expires_in", "user"}
USER_KEYS = {"id", "first_name", "last_name", "email", "date_of_birth", "status", "subscription_ends_at",
             "pm_type", "pm_last_four", "created_at", "updated_at"}


def new_email() -> str:
    return f"pw-{uuid.uuid4().hex[:10]}@example.com"


async def _otp_row(tenant, email: str) -> EmailOtp:
    return await EmailOtp.get(tenant_id=tenant.id, email_key=email.lower())


# --------------------------------------------------------------------------- the flow


async def test_new_address_end_to_end(signin: Passwordless, tenant, app):
    email = new_email()
    r = await signin.request(tenant.slug, email)
    assert r.status_code == 200 and r.json() == MESSAGE

    mail = await signin.delivered(email)
    assert mail.rcpt_tos == [email] and mail.mail_from == "no-reply@yourmusic.local"
    assert mail.message["Subject"] == f"Your sign-in code for Tenant {tenant.slug}"
    code = mail.code
    assert len(code) == 6 and code.isdigit() and code in mail.html and code not in mail.message["Subject"]

    device = str(uuid.uuid4())
    r = await signin.authenticate(tenant.slug, email, code, device)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    onboarding = r.json()
    assert set(onboarding) == {"onboarding_token", "onboarding_expires_in", "email"}
    assert onboarding["onboarding_expires_in"] == 900 and onboarding["email"] == email
    assert await User.filter(tenant_id=tenant.id, email_key=email).count() == 0  # nothing made yet

    r = await signin.signup(onboarding["onboarding_token"], first_name="Ada", last_name="Byron",
                            date_of_birth="1990-12-10")
    assert r.status_code == 201, r.text
    session = r.json()
    assert set(session) == SESSION_KEYS and set(session["user"]) == USER_KEYS
    assert (session["token_type"], session["expires_in"], session["refresh_expires_in"]) == ("Bearer", 3600, 2592000)
    user = session["user"]
    assert (user["first_name"], user["last_name"], user["email"], user["date_of_birth"]) == (
        "Ada", "Byron", email, "1990-12-10")
    assert user["status"] == "UNSUBSCRIBED"

    # The access token is bound to tenant, user, device and its session family.
    claims = app.state.container.tokens.verify(session["access_token"])
    family = await RefreshFamily.get(id=claims.family_id)
    assert (claims.use, claims.tenant_id, claims.subject, str(claims.device_id)) == (
        "access", tenant.id, user["id"], device)
    assert (family.tenant_id, str(family.user_id), str(family.device_id)) == (tenant.id, user["id"], device)

    me = await signin.me(session["access_token"])
    assert me.status_code == 200 and me.json() == user

    # Refresh rotates: new tokens, same user, same family; the old refresh token is dead.
    r = await signin.refresh(session["refresh_token"])
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    rotated = r.json()
    assert set(rotated) == SESSION_KEYS and rotated["user"]["id"] == user["id"]
    assert rotated["refresh_token"] != session["refresh_token"]
    assert rotated["access_token"] != session["access_token"]
    assert app.state.container.tokens.verify(rotated["access_token"]).family_id == claims.family_id
    assert (await signin.me(rotated["access_token"])).json()["id"] == user["id"]

    r = await signin.logout(rotated["refresh_token"])
    assert r.status_code == 204 and r.content == b""
    assert (await signin.refresh(rotated["refresh_token"])).status_code == 401
    for token in (session["access_token"], rotated["access_token"]):
        r = await signin.me(token)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_known_address_gets_a_session_at_once(signin: Passwordless, api, tenant):
    user = await api.create_user(tenant, email="Known.Person@Example.com")
    code = await signin.code_for(tenant.slug, "known.person@example.com")  # any case finds the account
    assert (await signin.delivered("known.person@example.com")).rcpt_tos == ["known.person@example.com"]
    r = await signin.authenticate(tenant.slug, "KNOWN.person@example.com", code)
    assert r.status_code == 200
    session = r.json()
    assert set(session) == SESSION_KEYS and session["user"] == user
    assert await User.filter(tenant_id=tenant.id).count() == 1


@pytest.mark.parametrize("locale,subject", [
    ("en", "Your sign-in code for "), ("nl", "Je inlogcode voor "), ("fr", "Votre code de connexion à "),
])
async def test_mail_in_the_asked_locale(signin: Passwordless, tenant, locale, subject):
    email = new_email()
    await signin.code_for(tenant.slug, email, locale)
    mail = await signin.delivered(email)
    assert mail.message["Subject"] == subject + f"Tenant {tenant.slug}"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert f'<html lang="{locale}">' in mail.html and mail.code in mail.html


async def test_per_tenant_sender_address(api, use_container, mailbox):
    tenant = await api.new_tenant()
    pw = Passwordless(api.http, use_container(mail_from_tenants={tenant.slug: "Acme <hello@acme.example>"}), mailbox)
    email = new_email()
    await pw.code_for(tenant.slug, email)
    mail = await pw.delivered(email)
    assert mail.mail_from == "hello@acme.example" and mail.message["From"] == "Acme <hello@acme.example>"


# --------------------------------------------------------------------------- no enumeration


async def test_same_answer_for_known_unknown_and_unknown_tenant(signin: Passwordless, api, tenant):
    known = (await api.create_user(tenant))["email"]
    unknown = new_email()
    no_tenant_email = new_email()
    answers = [
        await signin.request(tenant.slug, known),
        await signin.request(tenant.slug, unknown),
        await signin.request(f"no-such-{uuid.uuid4().hex[:8]}", no_tenant_email),
        await signin.request("Not A Slug!", new_email()),
    ]
    assert {(r.status_code, r.content, r.headers["content-type"]) for r in answers} == {
        (200, answers[0].content, "application/json")}
    assert answers[0].json() == MESSAGE
    assert await signin.container.mail.drain(timeout=15)
    # Known and unknown addresses both get a code (unknown ones go on to onboarding) ...
    assert len(signin.mailbox.to(known)) == 1 and len(signin.mailbox.to(unknown)) == 1
    # ... an unknown tenant gets nothing, and nothing is stored for it.
    assert signin.mailbox.to(no_tenant_email) == []
    assert await EmailOtp.filter(email_key=no_tenant_email).count() == 0


async def test_unknown_tenant_authenticate_is_a_wrong_code(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    wrong = await signin.authenticate(tenant.slug, email, "000000" if code != "000000" else "111111")
    ghost = await signin.authenticate(f"ghost-{uuid.uuid4().hex[:6]}", email, code)
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json() == ghost.json() == {"message": "The verification code is invalid or has expired.",
                                            "code": "INVALID_AUTH_TOKEN"}


async def test_mail_leaves_off_the_request_path(signin: Passwordless, tenant):
    email = new_email()
    signin.mailbox.hold()  # the SMTP server sits in DATA until released
    try:
        r = await signin.request(tenant.slug, email)
        assert r.status_code == 200 and r.json() == MESSAGE
        assert signin.container.mail.pending == 1 and signin.mailbox.to(email) == []
    finally:
        signin.mailbox.release()
    assert len((await signin.delivered(email)).code) == 6


async def test_mail_failure_is_logged_never_a_500(api, tenant, use_container, mailbox, caplog):
    from tests.mailbox import free_port

    caplog.set_level(logging.INFO, logger="yourmusic.mail")
    container = use_container(smtp_url=f"smtp://127.0.0.1:{free_port()}?timeout=2")  # nothing listens there
    pw = Passwordless(api.http, container, mailbox)
    email = new_email()
    r = await pw.request(tenant.slug, email)
    assert r.status_code == 200 and r.json() == MESSAGE
    assert await container.mail.drain(timeout=20)
    retries = [rec for rec in caplog.records if "retrying" in rec.getMessage()]
    failures = [rec for rec in caplog.records if rec.levelno == logging.WARNING and "failed" in rec.getMessage()]
    assert len(retries) == 2 and len(failures) == 1  # bounded: 3 attempts, then given up
    assert "p***@example.com" in failures[0].getMessage() and email not in caplog.text
    code_hash = (await _otp_row(tenant, email)).code_hash
    assert code_hash not in caplog.text


# --------------------------------------------------------------------------- codes


async def test_codes_are_stored_only_as_a_keyed_hash(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    row = await _otp_row(tenant, email)
    assert len(row.code_hash) == 64 and code not in row.code_hash
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()  # keyed: not a bare digest
    assert row.attempts == 0
    assert timedelta(seconds=595) < row.expires_at - datetime.now(UTC) <= timedelta(seconds=600)


async def test_wrong_code_then_right_code(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    for wrong in ("12345", "abcdef", code + "0", str((int(code) + 1) % 1_000_000).zfill(6)):
        r = await signin.authenticate(tenant.slug, email, wrong)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN", wrong
    assert (await _otp_row(tenant, email)).attempts == 4
    r = await signin.authenticate(tenant.slug, email, f"  {code} ")  # surrounding spaces are trimmed
    assert r.status_code == 200 and "onboarding_token" in r.json()


async def test_five_wrong_tries_kill_the_code(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    wrong = "000000" if code != "000000" else "999999"
    for _ in range(5):
        r = await signin.authenticate(tenant.slug, email, wrong)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    assert (await signin.authenticate(tenant.slug, email, code)).status_code == 401
    assert (await _otp_row(tenant, email)).attempts == 5


async def test_concurrent_guesses_are_capped(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    guesses = [f"{n:06d}" for n in range(12) if f"{n:06d}" != code][:10]
    answers = await asyncio.gather(*(signin.authenticate(tenant.slug, email, g) for g in guesses))
    assert [r.status_code for r in answers] == [401] * 10
    assert (await _otp_row(tenant, email)).attempts == 5  # never more comparisons than the limit
    assert (await signin.authenticate(tenant.slug, email, code)).status_code == 401


async def test_expired_code(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    await EmailOtp.filter(tenant_id=tenant.id, email_key=email).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    r = await signin.authenticate(tenant.slug, email, code)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_code_is_single_use(signin: Passwordless, tenant):
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    first = await asyncio.gather(*(signin.authenticate(tenant.slug, email, code) for _ in range(3)))
    assert sorted(r.status_code for r in first) == [200, 401, 401]
    assert (await signin.authenticate(tenant.slug, email, code)).status_code == 401
    assert not await EmailOtp.exists(tenant_id=tenant.id, email_key=email)  # a used code is gone


async def test_dead_codes_and_tokens_are_swept(signin: Passwordless, tenant, other_tenant):
    email = new_email()
    token = (await _onboarding(signin, tenant, email))["onboarding_token"]
    stale = new_email()
    await signin.code_for(tenant.slug, stale)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await EmailOtp.filter(tenant_id=tenant.id, email_key=stale).update(expires_at=past)
    await OnboardingToken.filter(token_hash=digest(token)).update(expires_at=past)
    await _onboarding(signin, other_tenant, new_email())  # any later code and token sweep the dead ones
    assert not await EmailOtp.exists(tenant_id=tenant.id, email_key=stale)
    assert not await OnboardingToken.exists(token_hash=digest(token))


async def test_only_the_newest_code_is_valid(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_send_interval=1), mailbox)
    email = new_email()
    old = await pw.code_for(tenant.slug, email)
    await asyncio.sleep(1.1)
    new = await pw.code_for(tenant.slug, email)
    assert len(pw.mailbox.to(email)) == 2
    if old != new:  # (one chance in a million that both draws are the same code)
        assert (await pw.authenticate(tenant.slug, email, old)).status_code == 401
    assert (await pw.authenticate(tenant.slug, email, new)).status_code == 200


async def test_ttl_is_configurable(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_ttl=60), mailbox)
    email = new_email()
    await pw.code_for(tenant.slug, email)
    assert "expires in 1 minute." in (await pw.delivered(email)).text
    row = await _otp_row(tenant, email)
    assert row.expires_at - datetime.now(UTC) <= timedelta(seconds=60)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("body,field", [
    ({"email": "a@example.com"}, "tenant"),
    ({"tenant": "", "email": "a@example.com"}, "tenant"),
    ({"tenant": "t" * 256, "email": "a@example.com"}, "tenant"),
    ({"tenant": 7, "email": "a@example.com"}, "tenant"),
    ({"tenant": "acme"}, "email"),
    ({"tenant": "acme", "email": "not-an-email"}, "email"),
    ({"tenant": "acme", "email": "a" * 250 + "@example.com"}, "email"),
    ({"tenant": "acme", "email": ["a@example.com"]}, "email"),
    ({"tenant": "acme", "email": "a@example.com", "locale": "de"}, "locale"),
    ({"tenant": "acme", "email": "a@example.com", "locale": None}, "locale"),
])
async def test_request_validation(signin: Passwordless, body, field):
    r = await signin.http.post("/api/auth/otp/request", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "The given data was invalid." and list(r.json()["errors"]) == [field]


@pytest.mark.parametrize("change,field", [
    ({"code": "1" * 33}, "code"),
    ({"code": ""}, "code"),
    ({"code": 123456}, "code"),
    ({"device_id": "not-a-uuid"}, "device_id"),
    ({"device_id": None}, "device_id"),
    ({"email": "nope"}, "email"),
])
async def test_authenticate_validation(signin: Passwordless, tenant, change, field):
    body = {"tenant": tenant.slug, "email": new_email(), "code": "123456", "device_id": str(uuid.uuid4()), **change}
    r = await signin.http.post("/api/auth/otp/authenticate", json=body)
    assert r.status_code == 422 and list(r.json()["errors"]) == [field]
    assert r.json()["errors"][field][0].startswith(f"The {field.replace('_', ' ')} field")


@pytest.mark.parametrize("path", ["/api/auth/otp/request", "/api/auth/otp/authenticate", "/api/auth/signup",
                                  "/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"x"'])
async def test_bodies_that_are_not_objects(signin: Passwordless, path, raw):
    r = await signin.http.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["errors"]


# --------------------------------------------------------------------------- onboarding


async def _onboarding(pw: Passwordless, tenant, email: str, device: str | None = None) -> dict:
    code = await pw.code_for(tenant.slug, email)
    r = await pw.authenticate(tenant.slug, email, code, device)
    assert r.status_code == 200 and "onboarding_token" in r.json(), r.text
    return r.json()


async def test_onboarding_token_is_single_use_and_stored_hashed(signin: Passwordless, tenant):
    email = new_email()
    device = str(uuid.uuid4())
    token = (await _onboarding(signin, tenant, email, device))["onboarding_token"]
    row = await OnboardingToken.get(token_hash=digest(token))
    assert row.tenant_id == tenant.id and str(row.device_id) == device
    assert len(token) >= 43  # 256 random bits, URL-safe
    answers = await asyncio.gather(signin.signup(token), signin.signup(token))
    assert sorted(r.status_code for r in answers) == [201, 401]
    session = next(r.json() for r in answers if r.status_code == 201)
    assert str(signin.container.tokens.verify(session["access_token"]).device_id) == device  # the sign-in's device
    again = await signin.signup(token)
    assert again.status_code == 401 and again.json()["code"] == "INVALID_AUTH_TOKEN"
    assert await User.filter(tenant_id=tenant.id, email_key=email).count() == 1


async def test_signup_validation_keeps_the_token(signin: Passwordless, tenant):
    email = new_email()
    token = (await _onboarding(signin, tenant, email))["onboarding_token"]
    for bad in ({"first_name": ""}, {"date_of_birth": "2999-01-01"}, {"last_name": "x" * 256},
                {"onboarding_token": "t" * 513}):
        r = await signin.signup(bad.get("onboarding_token", token), **{k: v for k, v in bad.items()
                                                                     if k != "onboarding_token"})
        assert r.status_code == 422 and list(r.json()["errors"]) == list(bad), r.text
    r = await signin.http.post("/api/auth/signup", json={"onboarding_token": token})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"first_name", "last_name", "date_of_birth"}
    assert (await signin.signup(token)).status_code == 201


async def test_signup_reuses_an_account_made_meanwhile(signin: Passwordless, api, tenant):
    email = new_email()
    token = (await _onboarding(signin, tenant, email))["onboarding_token"]
    made = await api.create_user(tenant, email=email, first_name="Made", last_name="Meanwhile")
    r = await signin.signup(token, first_name="Other", last_name="Name")
    assert r.status_code == 201 and r.json()["user"] == made


async def test_expired_and_garbage_onboarding_tokens(signin: Passwordless, tenant):
    email = new_email()
    token = (await _onboarding(signin, tenant, email))["onboarding_token"]
    await OnboardingToken.filter(token_hash=digest(token)).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    for presented in (token, "ymo_" + "x" * 43, "garbage"):
        r = await signin.signup(presented)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    assert await User.filter(tenant_id=tenant.id, email_key=email).count() == 0


# --------------------------------------------------------------------------- refresh


async def test_refresh_tokens_are_opaque_and_stored_hashed(signin: Passwordless, tenant):
    session = await signin.session(tenant.slug, new_email())
    token = session["refresh_token"]
    assert token.count(".") == 0 and len(token) >= 43  # not a JWT: >= 256 random bits
    row = await RefreshToken.get(token_hash=digest(token))
    assert row.tenant_id == tenant.id and row.used_at is None
    # Neither a refresh token nor an onboarding token is ever an access token.
    for not_access in (token, "ymo_" + token[4:]):
        r = await signin.me(not_access)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_reuse_revokes_the_whole_family(signin: Passwordless, tenant):
    email = new_email()
    first = await signin.session(tenant.slug, email)
    second = (await signin.refresh(first["refresh_token"])).json()
    third = (await signin.refresh(second["refresh_token"])).json()
    assert (await signin.me(third["access_token"])).status_code == 200

    # A spent token comes back (stolen, replayed) after the reuse interval: 401, and every token of the
    # sign-in dies.
    await spent_long_ago(first["refresh_token"])
    r = await signin.refresh(first["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    family = await RefreshFamily.get(id=signin.container.tokens.verify(first["access_token"]).family_id)
    assert family.revoked_at is not None and family.revoked_reason == "reuse"
    assert (await signin.refresh(third["refresh_token"])).status_code == 401
    for session in (first, second, third):  # sibling access tokens stop working at once
        r = await signin.me(session["access_token"])
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_reuse_leaves_other_sign_ins_alone(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_send_interval=1), mailbox)
    email = new_email()
    phone = await pw.session(tenant.slug, email)
    await asyncio.sleep(1.1)
    laptop = await pw.session(tenant.slug, email)
    assert phone["user"]["id"] == laptop["user"]["id"]
    await pw.refresh(phone["refresh_token"])
    await spent_long_ago(phone["refresh_token"])
    assert (await pw.refresh(phone["refresh_token"])).status_code == 401  # reuse: the phone's family dies
    assert (await pw.me(phone["access_token"])).status_code == 401
    assert (await pw.me(laptop["access_token"])).status_code == 200
    assert (await pw.refresh(laptop["refresh_token"])).status_code == 200


async def test_rotation_never_extends_the_family(signin: Passwordless, tenant):
    session = await signin.session(tenant.slug, new_email())
    family_id = signin.container.tokens.verify(session["access_token"]).family_id
    expires_at = (await RefreshFamily.get(id=family_id)).expires_at
    rotated = (await signin.refresh(session["refresh_token"])).json()
    assert rotated["refresh_expires_in"] <= 2592000
    assert (await RefreshFamily.get(id=family_id)).expires_at == expires_at

    # Two minutes of the family left: the next tokens get no more than that, access token included.
    await RefreshFamily.filter(id=family_id).update(expires_at=datetime.now(UTC) + timedelta(seconds=120))
    late = (await signin.refresh(rotated["refresh_token"])).json()
    assert 110 <= late["refresh_expires_in"] <= 120 and late["expires_in"] <= 120
    claims = signin.container.tokens.verify(late["access_token"])
    assert claims.expires_at <= datetime.now(UTC).timestamp() + 121

    await RefreshFamily.filter(id=family_id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    r = await signin.refresh(late["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


@pytest.mark.parametrize("token,status", [
    ("garbage", 401), ("ymr_" + "A" * 43, 401), ("x" * 512, 401), ("x" * 513, 422), ("", 422), (None, 422), (42, 422),
])
async def test_refresh_with_bad_tokens(signin: Passwordless, token, status):
    r = await signin.refresh(token)
    assert r.status_code == status, r.text
    if status == 401:
        assert r.json() == {"message": "The refresh token is invalid, expired or revoked.",
                            "code": "INVALID_AUTH_TOKEN"}
    else:
        assert list(r.json()["errors"]) == ["refresh_token"]


# --------------------------------------------------------------------------- logout


async def test_logout_ends_only_that_family(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_send_interval=1), mailbox)
    email = new_email()
    phone = await pw.session(tenant.slug, email)
    await asyncio.sleep(1.1)
    laptop = await pw.session(tenant.slug, email)
    r = await pw.logout(phone["refresh_token"])
    assert r.status_code == 204 and r.content == b""
    assert (await pw.me(phone["access_token"])).status_code == 401  # at once, not after the cache TTL
    assert (await pw.refresh(phone["refresh_token"])).status_code == 401
    assert (await pw.logout(phone["refresh_token"])).status_code == 204  # again: still 204
    assert (await pw.me(laptop["access_token"])).status_code == 200
    family = await RefreshFamily.get(id=pw.container.tokens.verify(phone["access_token"]).family_id)
    assert family.revoked_reason == "logout"


async def test_logout_with_a_spent_token_ends_the_family(signin: Passwordless, tenant):
    session = await signin.session(tenant.slug, new_email())
    rotated = (await signin.refresh(session["refresh_token"])).json()
    assert (await signin.logout(session["refresh_token"])).status_code == 204
    assert (await signin.me(rotated["access_token"])).status_code == 401


@pytest.mark.parametrize("token", ["garbage", "", "x" * 5000, "ymr_" + "B" * 43])
async def test_logout_is_204_for_any_string(signin: Passwordless, token):
    r = await signin.logout(token)
    assert r.status_code == 204 and r.content == b""


@pytest.mark.parametrize("body", [{}, {"refresh_token": None}, {"refresh_token": 5}, {"refresh_token": ["a"]}])
async def test_logout_without_a_string_token_is_422(signin: Passwordless, body):
    r = await signin.http.post("/api/auth/logout", json=body)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["refresh_token"]


# --------------------------------------------------------------------------- cache, deletion, tenants


async def test_family_check_is_cached_briefly(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(session_revocation_cache_ttl=1), mailbox)
    session = await pw.session(tenant.slug, new_email())
    assert (await pw.me(session["access_token"])).status_code == 200  # the family is now cached as live
    family_id = pw.container.tokens.verify(session["access_token"]).family_id
    # Revoked behind the service's back (another instance with its own in-process cache, say):
    await RefreshFamily.filter(id=family_id).update(revoked_at=datetime.now(UTC), revoked_reason="logout")
    assert (await pw.me(session["access_token"])).status_code == 200
    await asyncio.sleep(1.2)
    assert (await pw.me(session["access_token"])).status_code == 401


async def test_deleting_the_user_removes_its_sessions(signin: Passwordless, api, tenant):
    session = await signin.session(tenant.slug, new_email())
    uid = session["user"]["id"]
    family_id = signin.container.tokens.verify(session["access_token"]).family_id
    assert await RefreshToken.filter(family_id=family_id).count() == 1
    assert (await api.http.delete(f"/api/users/{uid}", headers=tenant.auth)).status_code == 204
    assert not await RefreshFamily.exists(id=family_id)
    assert not await RefreshToken.exists(family_id=family_id)
    assert (await signin.refresh(session["refresh_token"])).status_code == 401
    r = await signin.me(session["access_token"])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_tenant_a_tokens_are_useless_against_tenant_b(signin: Passwordless, api, tenant, other_tenant):
    email = new_email()
    mine = await api.create_user(tenant, email=email)
    theirs = await api.create_user(other_tenant, email=email, first_name="Other")

    # A code of tenant A is a wrong code at tenant B.
    code = await signin.code_for(tenant.slug, email)
    assert (await signin.authenticate(other_tenant.slug, email, code)).status_code == 401
    session = (await signin.authenticate(tenant.slug, email, code)).json()
    assert session["user"] == mine

    # A's session reads and writes A's user only.
    r = await api.http.patch("/api/me", json={"first_name": "Changed"}, headers=bearer(session["access_token"]))
    assert r.status_code == 200 and r.json()["id"] == mine["id"]
    assert (await api.http.get(f"/api/users/{theirs['id']}", headers=other_tenant.auth)).json() == theirs
    # ... and is no key to tenant B's backend API.
    r = await api.http.get(f"/api/users/{theirs['id']}", headers=bearer(session["access_token"]))
    assert r.status_code == 403

    # An onboarding token of A makes an account in A, never in B.
    newcomer = new_email()
    token = (await _onboarding(signin, tenant, newcomer))["onboarding_token"]
    assert (await signin.signup(token)).status_code == 201
    assert await User.filter(tenant_id=tenant.id, email_key=newcomer).count() == 1
    assert await User.filter(tenant_id=other_tenant.id, email_key=newcomer).count() == 0


async def test_forged_family_claims_are_refused(signin: Passwordless, api, tenant, other_tenant):
    """A well-signed access token whose family belongs to another user, tenant or device is refused."""
    session = await signin.session(tenant.slug, new_email())
    claims = signin.container.tokens.verify(session["access_token"])
    other = await api.create_user(tenant)
    tokens = signin.container.tokens
    cases = [
        tokens.issue("access", tenant.id, other["id"], 60, device_id=claims.device_id, family_id=claims.family_id),
        tokens.issue("access", other_tenant.id, claims.subject, 60, device_id=claims.device_id,
                     family_id=claims.family_id),
        tokens.issue("access", tenant.id, claims.subject, 60, device_id=uuid.uuid4(), family_id=claims.family_id),
        tokens.issue("access", tenant.id, claims.subject, 60, device_id=claims.device_id, family_id=uuid.uuid4()),
    ]
    for token in cases:
        r = await signin.me(token)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    assert (await signin.me(session["access_token"])).status_code == 200


async def test_no_code_or_token_reaches_the_logs(signin: Passwordless, tenant, caplog):
    caplog.set_level(logging.DEBUG, logger="yourmusic")
    caplog.set_level(logging.INFO)
    email = new_email()
    code = await signin.code_for(tenant.slug, email)
    wrong = await signin.authenticate(tenant.slug, email, "999999" if code != "999999" else "888888")
    onboarding = (await signin.authenticate(tenant.slug, email, code)).json()
    session = (await signin.signup(onboarding["onboarding_token"])).json()
    rotated = (await signin.refresh(session["refresh_token"])).json()
    await signin.refresh(session["refresh_token"])  # within the reuse interval: logged by family id
    await spent_long_ago(session["refresh_token"])
    await signin.refresh(session["refresh_token"])  # reuse: logged as an incident, by family id only
    assert wrong.status_code == 401 and "refresh token reuse" in caplog.text
    secrets = [code, onboarding["onboarding_token"], session["refresh_token"], session["access_token"],
               rotated["refresh_token"], rotated["access_token"]]
    assert not [s for s in secrets if s in caplog.text]
